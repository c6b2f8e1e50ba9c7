//! The refresh token in the OS keyring (the `keyring` crate): never in SQLite or a file.
//! "No entry" is `None`, not an error; values are wrapped so `Debug` prints `<redacted>`.

/// A secret whose `Debug` output hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Keyring access for one service name (namespaced per install, e.g. `medoffice` or a test's).
#[derive(Debug, Clone)]
pub struct SecretStore {
    service: String,
}

/// Keyring failures (other than "no entry").
#[derive(Debug, thiserror::Error)]
#[error("OS keyring: {0}")]
pub struct SecretError(String);

impl SecretStore {
    /// A store under `service`.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, account).map_err(|e| SecretError(e.to_string()))
    }

    /// The secret stored for `account`, if any.
    pub fn get(&self, account: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(account)?.get_password() {
            Ok(p) => Ok(Some(Secret(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError(e.to_string())),
        }
    }

    /// Stores `secret` for `account`.
    pub fn set(&self, account: &str, secret: &Secret) -> Result<(), SecretError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(|e| SecretError(e.to_string()))
    }

    /// Forgets `account`'s secret (absent is fine).
    pub fn delete(&self, account: &str) -> Result<(), SecretError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError(e.to_string())),
        }
    }
}
