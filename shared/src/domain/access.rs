//! Who is calling: a recognised caller, their role and their tenant scope.
//! How the caller was recognised (a token, a verified JWT) is the edge's
//! business; what each role may do is the use cases'.

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Responder,
    Commander,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Responder => "responder",
            Self::Commander => "commander",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "viewer" => Self::Viewer,
            "responder" => Self::Responder,
            "commander" => Self::Commander,
            "admin" => Self::Admin,
            _ => return None,
        })
    }
}

/// A caller the API has recognised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// The tenants this caller may see; `None` means every tenant. A scoped
    /// caller never sees an incident without a tenant.
    pub tenants: Option<Vec<String>>,
}

impl Caller {
    /// Whether the caller's tenant scope includes this incident's tenant.
    pub fn may_see(&self, tenant: Option<&str>) -> bool {
        match (&self.tenants, tenant) {
            (None, _) => true,
            (Some(list), Some(t)) => list.iter().any(|s| s.eq_ignore_ascii_case(t)),
            (Some(_), None) => false,
        }
    }
}
