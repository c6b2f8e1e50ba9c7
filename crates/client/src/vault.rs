//! The key of a clinic's cache on this workstation, and how it is kept so that it is never lost
//! while unsent work exists.
//!
//! # Design
//! Each cache file (`cache-<clinic id>.sqlite`) is a SQLCipher database encrypted with its own
//! random 256-bit [`CacheKey`], applied as a raw key (`PRAGMA key = "x'…'"`), so opening costs
//! no key derivation. The key is kept in two places:
//!
//! * the OS keyring (account `cache-key|<device id>|<clinic id>` of the workstation's keyring
//!   service), where the app finds it at start without asking anyone anything; and
//! * wrapped ([`WrappedKey`]: XChaCha20-Poly1305 under a key derived with argon2id from the
//!   person's password, fresh salt and nonce each time) in `offline-unlock.json`, once for every
//!   person who signed in on this workstation, next to their offline-unlock verifier.
//!
//! The kernel keyring (Linux keyutils) forgets everything when the machine restarts. Then the
//! next person who signs in (online, or offline with the offline unlock) and holds a wrapped
//! copy has it unwrapped with the password they just typed, and the key goes back into the
//! keyring. Nothing queued in the outbox is lost by a restart.
//!
//! # Threat model
//! * A thief with the laptop (or its disk) reads only ciphertext: the database, its WAL and
//!   journals are encrypted page by page; no patient data is ever written in plain. To read it
//!   they need the cache key: either the running session's keyring (gone once powered off) or a
//!   password of someone who signed in here. argon2id (19 MiB, 2 passes per guess) makes
//!   guessing passwords against the wrapped copies slow; a strong password remains the
//!   defence, as for the offline-unlock verifier that sits beside it.
//! * Someone at the unlocked, running workstation is the idle lock's business (the app), not
//!   this module's.
//! * A wrapped copy is bound (AEAD associated data) to its clinic and its person, so copies
//!   cannot be swapped between entries; a tampered copy fails to open rather than yield a key.
//! * Not covered: an attacker who controls the running machine as the same OS user (they can
//!   read the keyring and memory), and remnants of a plaintext cache written by an earlier
//!   version on the disk blocks it used before conversion.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

/// A 256-bit SQLCipher key. `Debug` prints `<redacted>`; the bytes are wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct CacheKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(<redacted>)")
    }
}

impl CacheKey {
    /// A fresh random key from the OS generator.
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        Self(k)
    }

    /// The key from its 64 hex digits (as kept in the keyring); `None` for anything else.
    pub fn from_hex(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut k = Zeroizing::new([0u8; 32]);
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(k))
    }

    /// The key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(64));
        for b in self.0.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The SQLCipher raw-key literal, `x'<hex>'` (no key derivation at open).
    pub(crate) fn sql_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", self.to_hex().as_str()))
    }

    fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Why a key could not be wrapped.
#[derive(Debug, thiserror::Error)]
#[error("wrapping the cache key: {0}")]
pub struct VaultError(String);

/// A [`CacheKey`] sealed under a password (see the module documentation).
///
/// Stored as JSON: the argon2id parameters (memory in KiB, passes, lanes), a 16-byte salt, a
/// 24-byte nonce and the 48-byte ciphertext (key and tag), all base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The cache (clinic id) whose key this is.
    pub cache_id: Uuid,
    /// argon2id memory cost, KiB.
    pub m_cost: u32,
    /// argon2id passes.
    pub t_cost: u32,
    /// argon2id lanes.
    pub p_cost: u32,
    /// KDF salt, base64.
    pub salt: String,
    /// XChaCha20-Poly1305 nonce, base64.
    pub nonce: String,
    /// Sealed key with its tag, base64.
    pub ciphertext: String,
}

fn aad(cache_id: Uuid, holder: &str) -> Vec<u8> {
    format!("medoffice cache key v1|{cache_id}|{holder}").into_bytes()
}

fn kek(password: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, out.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

impl WrappedKey {
    /// Seals `key` of cache `cache_id` under `password` for `holder` (the `tenant|username` of
    /// its entry). Runs argon2id (tens of milliseconds): call off the async threads.
    pub fn seal(
        key: &CacheKey,
        password: &str,
        cache_id: Uuid,
        holder: &str,
    ) -> Result<Self, VaultError> {
        let (m, t, p) = (
            Params::DEFAULT_M_COST,
            Params::DEFAULT_T_COST,
            Params::DEFAULT_P_COST,
        );
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let kek = kek(password, &salt, m, t, p).map_err(VaultError)?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
        let aad = aad(cache_id, holder);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError("encryption failed".into()))?;
        Ok(Self {
            cache_id,
            m_cost: m,
            t_cost: t,
            p_cost: p,
            salt: B64.encode(salt),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(sealed),
        })
    }

    /// The key, when `password` is the one it was sealed under and the copy belongs to
    /// `holder`; `None` otherwise (wrong password, another entry's copy, or tampered).
    /// Runs argon2id: call off the async threads.
    pub fn open(&self, password: &str, holder: &str) -> Option<CacheKey> {
        let salt = B64.decode(&self.salt).ok()?;
        let nonce = B64.decode(&self.nonce).ok()?;
        let sealed = B64.decode(&self.ciphertext).ok()?;
        if nonce.len() != 24 {
            return None;
        }
        let kek = kek(password, &salt, self.m_cost, self.t_cost, self.p_cost).ok()?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&kek[..]));
        let aad = aad(self.cache_id, holder);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &sealed,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(CacheKey(Zeroizing::new(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_with_its_password_and_holder_only() -> anyhow::Result<()> {
        let key = CacheKey::generate();
        let cache = Uuid::new_v4();
        let w = WrappedKey::seal(&key, "correct horse", cache, "demo|nina")?;
        assert_eq!(w.open("correct horse", "demo|nina"), Some(key.clone()));
        assert_eq!(w.open("wrong horse", "demo|nina"), None);
        assert_eq!(
            w.open("correct horse", "demo|rex"),
            None,
            "bound to its entry"
        );
        let mut other_cache = w.clone();
        other_cache.cache_id = Uuid::new_v4();
        assert_eq!(other_cache.open("correct horse", "demo|nina"), None);
        let mut tampered = w.clone();
        let mut c = B64.decode(&tampered.ciphertext)?;
        c[0] ^= 1;
        tampered.ciphertext = B64.encode(c);
        assert_eq!(tampered.open("correct horse", "demo|nina"), None);
        // nothing of the key shows in the stored form
        let json = serde_json::to_string(&w)?;
        assert!(!json.contains(key.to_hex().as_str()));
        Ok(())
    }

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        let key = CacheKey::generate();
        assert_eq!(CacheKey::from_hex(&key.to_hex()), Some(key.clone()));
        assert_eq!(CacheKey::from_hex("abc"), None);
        assert_eq!(CacheKey::from_hex(&"zz".repeat(32)), None);
        assert_eq!(format!("{key:?}"), "CacheKey(<redacted>)");
        assert_ne!(CacheKey::generate(), key);
    }
}
