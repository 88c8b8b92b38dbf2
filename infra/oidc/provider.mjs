// A real OpenID provider on loopback for the console's sign-in test:
// oidc-provider (OpenID Certified), with its own login and consent pages
// (devInteractions) and one public client whose redirect URI is the
// console's callback, PKCE required. Accounts carry the claims the API
// maps (klaxon_role, klaxon_tenants).
// Usage: node provider.mjs <port> <console callback URL>
import Provider from "oidc-provider";

const [port, callback] = process.argv.slice(2);
if (!port || !callback) {
  console.error("usage: node provider.mjs <port> <callback URL>");
  process.exit(2);
}

// The password is not checked by the dev login page; the account is the login name.
const accounts = {
  ana: { email: "ana@example.com", klaxon_role: "responder" },
  vic: { email: "vic@example.com", klaxon_role: "viewer" },
  nobody: { email: "nobody@example.com" },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "klaxon-console",
      token_endpoint_auth_method: "none",
      redirect_uris: [callback],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  // The requested scopes' claims go into the ID token (the console reads
  // the ID token, not userinfo).
  conformIdTokenClaims: false,
  claims: {
    openid: ["sub"],
    email: ["email"],
    profile: ["klaxon_role", "klaxon_tenants"],
  },
  scopes: ["openid", "email", "profile"],
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
