//! `DirStore`: a bucket as a folder, with atomic writes and the CID kept as an xattr.

use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, Prefix};
use leadline_core::store::{DirStore, ObjectStore, PutOptions, StoreError};

fn key(text: &str) -> Key {
    Key::new(text).unwrap()
}

/// A reader that yields some bytes and then fails, like a connection dropped mid-upload.
struct Broken(usize);

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("connection reset")));
        }
        let n = self.0.min(buf.remaining());
        buf.put_slice(&vec![b'z'; n]);
        self.0 -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn put_get_head_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path().join("bucket"));
    let info = store
        .put_bytes(&key("H1/raw/a.all"), b"hello world".to_vec())
        .await
        .unwrap();
    assert_eq!(info.cid, Some(cid_of_bytes(b"hello world")));
    assert_eq!(
        std::fs::read(dir.path().join("bucket/H1/raw/a.all")).unwrap(),
        b"hello world"
    );
    store.put_bytes(&key("H1/.done"), Vec::new()).await.unwrap();
    store.put_bytes(&key("H10/x"), b"x".to_vec()).await.unwrap();

    let head = store.head(&key("H1/raw/a.all")).await.unwrap().unwrap();
    assert_eq!(
        (head.size, head.cid),
        (11, Some(cid_of_bytes(b"hello world")))
    );

    let listed = store.list_all(&Prefix::new("H1").unwrap()).await.unwrap();
    let keys: Vec<&str> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["H1/.done", "H1/raw/a.all"],
        "prefixes are folders: H10 is not under H1"
    );

    store.delete(&key("H1/raw/a.all")).await.unwrap();
    assert!(store.head(&key("H1/raw/a.all")).await.unwrap().is_none());
    assert!(
        !dir.path().join("bucket/H1/raw").exists(),
        "emptied folders go, as on S3"
    );
    assert!(dir.path().join("bucket/H1/.done").exists());
    store.delete(&key("H1/raw/a.all")).await.unwrap();
    let missing = store.get(&key("H1/raw/a.all")).await.err().unwrap();
    assert!(matches!(missing, StoreError::NotFound { .. }));
    assert!(missing.to_string().contains("H1/raw/a.all"), "{missing}");
}

#[tokio::test]
async fn a_failed_write_keeps_the_previous_object_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path());
    store
        .put_bytes(&key("grid.bag"), b"version 1".to_vec())
        .await
        .unwrap();
    let err = store
        .put(
            &key("grid.bag"),
            Box::pin(Broken(300_000)),
            PutOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    assert!(err.to_string().contains("grid.bag"), "{err}");
    assert_eq!(
        store.get_bytes(&key("grid.bag")).await.unwrap(),
        b"version 1"
    );
    let temps = std::fs::read_dir(dir.path().join(".leadline-tmp"))
        .unwrap()
        .count();
    assert_eq!(temps, 0);
    let listed = store.list_all(&Prefix::default()).await.unwrap();
    assert_eq!(listed.objects.len(), 1, "the temp folder is never listed");
}

#[tokio::test]
async fn a_wrong_expected_cid_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path());
    let err = store
        .put(
            &key("a"),
            Box::pin(std::io::Cursor::new(b"abc".to_vec())),
            PutOptions {
                cid: Some(cid_of_bytes(b"xyz")),
                content_type: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CidMismatch { .. }));
    assert!(store.head(&key("a")).await.unwrap().is_none());
}

#[tokio::test]
async fn edits_outside_leadline_invalidate_the_recorded_cid() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path());
    store
        .put_bytes(&key("notes.txt"), b"first".to_vec())
        .await
        .unwrap();
    // Appending keeps the xattr but changes size and mtime.
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("notes.txt"))
        .unwrap()
        .write_all(b" and more")
        .unwrap();
    assert_eq!(
        store.head(&key("notes.txt")).await.unwrap().unwrap().cid,
        None
    );
    assert_eq!(
        store.cid(&key("notes.txt")).await.unwrap(),
        cid_of_bytes(b"first and more")
    );
}

#[tokio::test]
async fn files_from_elsewhere_get_their_cid_computed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("copied-in.tif"), b"hello world").unwrap();
    let store = DirStore::new(dir.path());
    assert_eq!(
        store
            .head(&key("copied-in.tif"))
            .await
            .unwrap()
            .unwrap()
            .cid,
        None
    );
    assert_eq!(
        store.cid(&key("copied-in.tif")).await.unwrap().to_string(),
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    );
}

#[tokio::test]
async fn reserved_and_odd_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path());
    let err = store
        .put_bytes(&key(".leadline-tmp/x"), b"x".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Reserved { .. }), "{err}");

    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join("sub/link")).unwrap();
    std::fs::write(dir.path().join("sub/bad\nname"), b"x").unwrap();
    std::fs::write(dir.path().join("sub/ok"), b"x").unwrap();
    let listed = store.list_all(&Prefix::default()).await.unwrap();
    let keys: Vec<&str> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["sub/ok"],
        "symlinks are not followed out of the store"
    );
    assert_eq!(listed.rejected.len(), 1);
    assert!(listed.rejected[0].reason.contains("control character"));

    // A folder where a file is expected is "no object", not an error.
    assert!(store.head(&key("sub")).await.unwrap().is_none());
    let err = store
        .put_bytes(&key("sub/ok/inner"), b"x".to_vec())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sub/ok/inner"), "{err}");
}
