//! A Sombra signing key, as Transcend's gateway holds one: an ES384 key pair whose public half
//! is served as PEM (`/public-keys/sombra-general-signing-key`) and whose private half signs
//! the `x-sombra-token` of a webhook. For velt-serve's tests and benchmark (feature
//! `platforms`).
//!
//! ```
//! let keys = velt_fake::sombra::Keys::generate();
//! assert!(keys.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
//! let token = keys.token(&serde_json::json!({ "aud": "me", "scope": "coreIdentifier" }));
//! assert_eq!(token.split('.').count(), 3);
//! ```

use base64::Engine;
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};

/// An ES384 key pair: the private key for signing tokens, the public key as PEM.
pub struct Keys {
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// The public key, SubjectPublicKeyInfo PEM.
    pub public_pem: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// A new key pair.
    ///
    /// # Panics
    ///
    /// When the system's random source fails (a fake for tests: nothing to recover).
    pub fn generate() -> Keys {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .expect("a P-384 key")
            .as_ref()
            .to_vec();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8, &rng)
            .expect("the key reads back");
        // SubjectPublicKeyInfo of an uncompressed P-384 point.
        let mut spki = vec![
            0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
        ];
        spki.extend_from_slice(pair.public_key().as_ref());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&spki);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        let public_pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        );
        Keys { pkcs8, public_pem }
    }

    /// A token as Sombra signs it, with these claims (empty when they cannot be signed,
    /// which a JSON value and this key never cause).
    pub fn token(&self, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES384),
            claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
        )
        .unwrap_or_default()
    }
}
