//! Content identifiers: CIDv1 over the sha2-256 digest of the bytes.
//!
//! Files use the `raw` codec (`bafkrei…`); manifests use `dag-cbor` (`bafyrei…`). The digest is the
//! same one S3 verifies as `ChecksumSHA256`, so a CID converts to and from that header.

use std::io::{self, Read};
use std::path::Path;

use base64::Engine as _;
use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

/// Multicodec code of the `raw` codec (plain bytes).
pub const RAW: u64 = 0x55;
/// Multicodec code of DAG-CBOR.
pub const DAG_CBOR: u64 = 0x71;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;

/// Read buffer for streaming hashes: large enough to amortise syscalls, small enough to stay
/// well inside the constant-memory promise.
const READ_BUFFER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum CidError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("`{text}` is not a CID: {reason}")]
    Parse { text: String, reason: String },
    #[error("`{0}` is not a base64 sha2-256 checksum")]
    Checksum(String),
    #[error("CID {0} is not a sha2-256 CID")]
    NotSha256(Cid),
}

/// Builds the CIDv1 of `codec` content whose sha2-256 digest is `digest`.
pub fn cid_from_sha256(codec: u64, digest: &[u8; 32]) -> Cid {
    // `wrap` only fails when the digest exceeds the 64-byte allocation; 32 bytes always fit.
    let hash = Multihash::<64>::wrap(SHA2_256, digest).unwrap_or_default();
    Cid::new_v1(codec, hash)
}

/// CID of an in-memory byte slice with the `raw` codec.
pub fn cid_of_bytes(bytes: &[u8]) -> Cid {
    cid_from_sha256(RAW, &Sha256::digest(bytes).into())
}

/// Incremental hasher for data that arrives in pieces (uploads, downloads, pipes).
#[derive(Default, Clone)]
pub struct CidHasher {
    sha: Sha256,
    len: u64,
}

impl CidHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.sha.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Number of bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish_digest(self) -> [u8; 32] {
        self.sha.finalize().into()
    }

    pub fn finish(self) -> Cid {
        cid_from_sha256(RAW, &self.finish_digest())
    }
}

/// CID of everything `reader` yields, read in fixed-size chunks (constant memory).
pub fn cid_of_reader(mut reader: impl Read) -> io::Result<(Cid, u64)> {
    let mut hasher = CidHasher::new();
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let len = hasher.len();
    Ok((hasher.finish(), len))
}

/// CID and size of a file.
pub fn cid_of_file(path: &Path) -> Result<(Cid, u64), CidError> {
    let read_error = |source| CidError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    cid_of_reader(file).map_err(read_error)
}

/// Parses a CID from its string form, with an error that names the text.
pub fn parse_cid(text: &str) -> Result<Cid, CidError> {
    Cid::try_from(text).map_err(|e| CidError::Parse {
        text: text.to_owned(),
        reason: e.to_string(),
    })
}

/// The `ChecksumSHA256` header value (base64 of the digest) for a sha2-256 CID.
pub fn checksum_sha256_of(cid: &Cid) -> Result<String, CidError> {
    let hash = cid.hash();
    if hash.code() != SHA2_256 || hash.digest().len() != 32 {
        return Err(CidError::NotSha256(*cid));
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(hash.digest()))
}

/// The raw CID for an S3 `ChecksumSHA256` value. Composite multipart checksums (`…-N`) are
/// checksums of part checksums, not of the object, and are refused.
pub fn cid_from_checksum_sha256(checksum: &str) -> Result<Cid, CidError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(checksum)
        .map_err(|_| CidError::Checksum(checksum.to_owned()))?;
    let digest: [u8; 32] = bytes
        .try_into()
        .map_err(|_| CidError::Checksum(checksum.to_owned()))?;
    Ok(cid_from_sha256(RAW, &digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from an independent implementation (`ipfs add --cid-version 1 --raw-leaves`
    // and multiformats' js-multiformats), as quoted in the issue.
    const EMPTY: &str = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    const HELLO_WORLD: &str = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

    #[test]
    fn known_vectors() {
        assert_eq!(cid_of_bytes(b"").to_string(), EMPTY);
        assert_eq!(cid_of_bytes(b"hello world").to_string(), HELLO_WORLD);
    }

    #[test]
    fn streaming_matches_one_shot_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(READ_BUFFER * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let (streamed, len) = cid_of_reader(&data[..]).unwrap();
        assert_eq!(len, data.len() as u64);
        assert_eq!(streamed, cid_of_bytes(&data));
    }

    #[test]
    fn checksum_round_trip() {
        let cid = parse_cid(HELLO_WORLD).unwrap();
        let checksum = checksum_sha256_of(&cid).unwrap();
        // sha256("hello world") in base64, as `openssl dgst -sha256 -binary | base64` prints it.
        assert_eq!(checksum, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
        assert_eq!(cid_from_checksum_sha256(&checksum).unwrap(), cid);
    }

    #[test]
    fn composite_checksums_are_refused() {
        assert!(
            cid_from_checksum_sha256("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=-3").is_err()
        );
    }

    #[test]
    fn parse_errors_name_the_text() {
        let err = parse_cid("not-a-cid").unwrap_err().to_string();
        assert!(err.contains("not-a-cid"), "{err}");
    }

    #[test]
    fn missing_file_error_names_the_path() {
        let err = cid_of_file(Path::new("/nonexistent/survey.bag"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/survey.bag"), "{err}");
    }
}
