//! The content checksums `local_file` records (and the id, the hex SHA-1 of the content).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use cairn_provider::Value;

/// Every checksum of a file's content, named as the attributes that hold them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksums {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
    pub base64sha256: String,
    pub sha512: String,
    pub base64sha512: String,
}

impl Checksums {
    pub fn of(content: &[u8]) -> Checksums {
        let sha256 = Sha256::digest(content);
        let sha512 = Sha512::digest(content);
        Checksums {
            md5: hex::encode(Md5::digest(content)),
            sha1: hex::encode(Sha1::digest(content)),
            sha256: hex::encode(sha256),
            base64sha256: STANDARD.encode(sha256),
            sha512: hex::encode(sha512),
            base64sha512: STANDARD.encode(sha512),
        }
    }

    /// `(attribute, value)` pairs, the id included.
    pub fn attributes(&self) -> [(&'static str, Value); 7] {
        [
            ("id", Value::string(&self.sha1)),
            ("content_md5", Value::string(&self.md5)),
            ("content_sha1", Value::string(&self.sha1)),
            ("content_sha256", Value::string(&self.sha256)),
            ("content_base64sha256", Value::string(&self.base64sha256)),
            ("content_sha512", Value::string(&self.sha512)),
            ("content_base64sha512", Value::string(&self.base64sha512)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let c = Checksums::of(b"hello world");
        assert_eq!(c.md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(c.sha1, "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
        assert_eq!(
            c.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            c.base64sha256,
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert!(
            c.sha512
                .starts_with("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f")
        );
        assert_eq!(c.base64sha512.len(), 88);
    }
}
