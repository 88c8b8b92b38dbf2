//! What paging by SMS through SNS needs from the account, read through the
//! SNS API and judged (docs/sms.md). `klaxon doctor` prints the judgement.
//! Each read that fails (no permission, an emulator that lacks the call) is
//! an unknown, never a pass.

use aws_sdk_sns::Client;
use std::collections::BTreeMap;

/// What the SNS API said about the account's SMS settings; each read on its own.
#[derive(Debug, Clone)]
pub struct SmsAccount {
    /// `GetSMSAttributes`: `MonthlySpendLimit`, `DefaultSMSType`, `DeliveryStatusIAMRole`, ...
    pub attributes: Result<BTreeMap<String, String>, String>,
    /// `GetSMSSandboxAccountStatus`: whether SMS reaches only verified numbers.
    pub sandbox: Result<bool, String>,
    /// `ListOriginationNumbers`: (ISO country, capabilities, status) of each number.
    pub origination: Result<Vec<OriginationNumber>, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginationNumber {
    pub country: String,
    pub sms: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ready,
    Missing,
    Unknown,
}

/// One check: what it is about, its state, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub state: State,
    pub says: String,
}

fn failure<E: aws_sdk_sns::error::ProvideErrorMetadata + std::error::Error + 'static>(
    e: &aws_sdk_sns::error::SdkError<E, aws_sdk_sns::config::http::HttpResponse>,
) -> String {
    super::sdk_failure(e).1
}

/// Reads the account the environment's credentials and region name
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL` as the SDK reads them).
pub async fn read_from_env() -> SmsAccount {
    let sdk = super::aws::sdk_from_env().await;
    read(&Client::new(&sdk)).await
}

/// Reads what the SNS API will say; a failed read is kept as its error.
pub async fn read(client: &Client) -> SmsAccount {
    let attributes = client
        .get_sms_attributes()
        .send()
        .await
        .map(|o| {
            o.attributes
                .unwrap_or_default()
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        })
        .map_err(|e| failure(&e));
    let sandbox = client
        .get_sms_sandbox_account_status()
        .send()
        .await
        .map(|o| o.is_in_sandbox)
        .map_err(|e| failure(&e));
    let origination = client
        .list_origination_numbers()
        .send()
        .await
        .map(|o| {
            o.phone_numbers
                .unwrap_or_default()
                .into_iter()
                .map(|n| OriginationNumber {
                    country: n.iso2_country_code.unwrap_or_default(),
                    sms: n
                        .number_capabilities
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.as_str() == "SMS"),
                    active: n.status.as_deref() == Some("ACTIVE"),
                })
                .collect()
        })
        .map_err(|e| failure(&e));
    SmsAccount {
        attributes,
        sandbox,
        origination,
    }
}

/// New accounts start here, which a handful of pages can spend.
const DEFAULT_SPEND_LIMIT_USD: f64 = 1.0;

impl SmsAccount {
    /// The judgement, in the order docs/sms.md explains them.
    pub fn findings(&self) -> Vec<Finding> {
        vec![
            self.spend_limit(),
            self.sandbox(),
            self.origination(),
            self.sms_type(),
        ]
    }

    fn spend_limit(&self) -> Finding {
        let check = "spend limit";
        let attrs = match &self.attributes {
            Ok(a) => a,
            Err(e) => return unknown(check, "GetSMSAttributes", e),
        };
        let limit = attrs
            .get("MonthlySpendLimit")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(DEFAULT_SPEND_LIMIT_USD);
        if limit <= DEFAULT_SPEND_LIMIT_USD {
            Finding {
                check,
                state: State::Missing,
                says: format!(
                    "the account may spend USD {limit} a month on SMS (the new-account default): a few pages spend it, and then SNS sends no SMS at all. Ask AWS Support for a higher SMS spend quota, then set MonthlySpendLimit (aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD>) and SmsSpendAlarmUSD a little below it"
                ),
            }
        } else {
            Finding {
                check,
                state: State::Ready,
                says: format!(
                    "USD {limit} a month; keep the stack's SmsSpendAlarmUSD a little below it"
                ),
            }
        }
    }

    fn sandbox(&self) -> Finding {
        let check = "sandbox";
        match &self.sandbox {
            Ok(true) => Finding {
                check,
                state: State::Missing,
                says: "the account is in the SMS sandbox: SMS reaches only verified destination numbers (aws sns create-sms-sandbox-phone-number). Request production access for SMS in the SNS console".into(),
            },
            Ok(false) => Finding {
                check,
                state: State::Ready,
                says: "out of the SMS sandbox".into(),
            },
            Err(e) => unknown(check, "GetSMSSandboxAccountStatus", e),
        }
    }

    fn origination(&self) -> Finding {
        let check = "origination identity";
        match &self.origination {
            Ok(numbers) if numbers.iter().any(|n| n.country == "US" && n.sms && n.active) => {
                Finding {
                    check,
                    state: State::Ready,
                    says: "an active US number that sends SMS (toll-free or 10DLC)".into(),
                }
            }
            Ok(_) => Finding {
                check,
                state: State::Missing,
                says: "no active US origination number: SMS to US numbers needs a registered toll-free number or a 10DLC campaign (AWS End User Messaging SMS). Other countries may need a sender ID or a number of their own".into(),
            },
            Err(e) => unknown(check, "ListOriginationNumbers", e),
        }
    }

    fn sms_type(&self) -> Finding {
        let default = self
            .attributes
            .as_ref()
            .ok()
            .and_then(|a| a.get("DefaultSMSType").cloned())
            .unwrap_or_else(|| "Promotional".into());
        Finding {
            check: "SMS type",
            state: State::Ready,
            says: format!(
                "each page is published as Transactional (the account's default is {default})"
            ),
        }
    }
}

fn unknown(check: &'static str, call: &str, error: &str) -> Finding {
    Finding {
        check,
        state: State::Unknown,
        says: format!("could not check ({call}: {error}); see docs/sms.md"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(attrs: &[(&str, &str)], sandbox: Result<bool, String>) -> SmsAccount {
        SmsAccount {
            attributes: Ok(attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()),
            sandbox,
            origination: Ok(vec![]),
        }
    }

    fn state(a: &SmsAccount, check: &str) -> State {
        a.findings()
            .into_iter()
            .find(|f| f.check == check)
            .map(|f| f.state)
            .expect("the check is made")
    }

    #[test]
    fn a_new_account_is_missing_spend_sandbox_and_a_us_number() {
        let a = account(&[], Ok(true));
        assert_eq!(state(&a, "spend limit"), State::Missing);
        assert_eq!(state(&a, "sandbox"), State::Missing);
        assert_eq!(state(&a, "origination identity"), State::Missing);
        assert_eq!(state(&a, "SMS type"), State::Ready);
    }

    #[test]
    fn a_raised_limit_out_of_the_sandbox_with_a_us_number_is_ready() {
        let mut a = account(&[("MonthlySpendLimit", "50")], Ok(false));
        a.origination = Ok(vec![OriginationNumber {
            country: "US".into(),
            sms: true,
            active: true,
        }]);
        assert!(a.findings().iter().all(|f| f.state == State::Ready));
    }

    #[test]
    fn a_failed_read_is_unknown_not_ready() {
        let mut a = account(&[("MonthlySpendLimit", "50")], Err("no".into()));
        a.attributes = Err("AccessDenied: no".into());
        assert_eq!(state(&a, "spend limit"), State::Unknown);
        assert_eq!(state(&a, "sandbox"), State::Unknown);
        let inactive = OriginationNumber {
            country: "US".into(),
            sms: true,
            active: false,
        };
        a.origination = Ok(vec![inactive]);
        assert_eq!(state(&a, "origination identity"), State::Missing);
    }
}
