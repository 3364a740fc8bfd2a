//! `S3Store` and sync against a real moto server through the AWS SDK.

use std::sync::Arc;

use aws_sdk_s3::types::ChecksumMode;
use futures::stream::{self, StreamExt};
use leadline_core::cids::{checksum_sha256_of, cid_of_bytes};
use leadline_core::key::{Key, Prefix};
use leadline_core::store::{DirStore, ObjectStore, PutOptions, S3Store, StoreError};
use leadline_core::sync::{sync, SyncEvent, SyncOptions, SyncReport};
use leadline_testkit::Moto;

const MIB: usize = 1024 * 1024;

fn key(text: &str) -> Key {
    Key::new(text).unwrap()
}

/// Deterministic, incompressible-looking bytes.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

/// Syncs `src_prefix` of `src` to `dst_prefix` of `dst` with the default options.
async fn sync_prefixes(
    src: &dyn ObjectStore,
    src_prefix: &str,
    dst: &dyn ObjectStore,
    dst_prefix: &str,
) -> SyncReport {
    let (src_prefix, dst_prefix) = (
        Prefix::new(src_prefix).unwrap(),
        Prefix::new(dst_prefix).unwrap(),
    );
    sync(src, &src_prefix, dst, &dst_prefix, &SyncOptions::default())
        .await
        .unwrap()
}

async fn store(moto: &Moto, bucket: &str) -> S3Store {
    moto.create_bucket(bucket).await;
    S3Store::new(moto.s3_client(), bucket)
}

#[tokio::test]
async fn lists_past_one_page_of_1000_keys() {
    let moto = Moto::start();
    let store = store(&moto, "pages").await;
    stream::iter(0..1005)
        .for_each_concurrent(16, |i| {
            let store = &store;
            async move {
                store
                    .put_bytes(&key(&format!("survey/line-{i:04}.all")), vec![b'x'; i % 7])
                    .await
                    .unwrap();
            }
        })
        .await;
    store
        .put_bytes(&key("other/x"), b"x".to_vec())
        .await
        .unwrap();

    let prefix = Prefix::new("survey").unwrap();
    let first = store.list_page(&prefix, None).await.unwrap();
    assert_eq!(first.objects.len(), 1000);
    assert!(first.next.is_some(), "a second page must be announced");

    let all = store.list_all(&prefix).await.unwrap();
    assert_eq!(all.objects.len(), 1005);
    assert!(all.rejected.is_empty());
    assert_eq!(all.objects[6].size, 6);
    assert_eq!(all.objects[1004].key.as_str(), "survey/line-1004.all");
}

#[tokio::test]
async fn single_part_put_sends_checksum_and_cid_metadata() {
    let moto = Moto::start();
    let store = store(&moto, "single").await;
    let body = b"hello world".to_vec();
    let info = store
        .put_bytes(&key("H1/readme.txt"), body.clone())
        .await
        .unwrap();
    let cid = cid_of_bytes(&body);
    assert_eq!(info.cid, Some(cid));

    let head = moto
        .s3_client()
        .head_object()
        .bucket("single")
        .key("H1/readme.txt")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.checksum_sha256(),
        Some(checksum_sha256_of(&cid).unwrap().as_str())
    );
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("cid"))
            .map(String::as_str),
        Some("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
    );
    assert_eq!(
        store
            .head(&key("H1/readme.txt"))
            .await
            .unwrap()
            .unwrap()
            .cid,
        Some(cid)
    );
    assert_eq!(store.get_bytes(&key("H1/readme.txt")).await.unwrap(), body);
}

#[tokio::test]
async fn multipart_put_streams_parts_and_records_cid() {
    let moto = Moto::start();
    let store = store(&moto, "multi").await.with_multipart(5 * MIB, 5 * MIB);
    let body = data(12 * MIB + 123, 7);
    let cid = cid_of_bytes(&body);

    // Without a known CID the store computes it while streaming and records it afterwards.
    let info = store
        .put(
            &key("grids/big.bag"),
            Box::pin(std::io::Cursor::new(body.clone())),
            PutOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!((info.size, info.cid), (body.len() as u64, Some(cid)));
    let head = store.head(&key("grids/big.bag")).await.unwrap().unwrap();
    assert_eq!(head.cid, Some(cid), "the CID is recorded as metadata");
    assert_eq!(store.get_bytes(&key("grids/big.bag")).await.unwrap(), body);

    // The raw object really went up in parts.
    let parts = moto
        .s3_client()
        .head_object()
        .bucket("multi")
        .key("grids/big.bag")
        .part_number(3)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts_count(), Some(3));

    // With a known CID it is sent up front.
    let copy = store
        .put(
            &key("grids/again.bag"),
            Box::pin(std::io::Cursor::new(body.clone())),
            PutOptions {
                cid: Some(cid),
                content_type: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(copy.cid, Some(cid));
}

#[tokio::test]
async fn a_wrong_expected_cid_writes_nothing() {
    let moto = Moto::start();
    let store = store(&moto, "verify")
        .await
        .with_multipart(5 * MIB, 5 * MIB);
    for (name, len) in [("small", 100), ("large", 11 * MIB)] {
        let body = data(len, 3);
        let err = store
            .put(
                &key(name),
                Box::pin(std::io::Cursor::new(body)),
                PutOptions {
                    cid: Some(cid_of_bytes(b"something else")),
                    content_type: None,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::CidMismatch { .. }), "{err}");
        assert!(err.to_string().contains(name), "{err}");
        assert!(
            store.head(&key(name)).await.unwrap().is_none(),
            "{name} must not exist"
        );
    }
    let uploads = moto
        .s3_client()
        .list_multipart_uploads()
        .bucket("verify")
        .send()
        .await
        .unwrap();
    assert!(
        uploads.uploads().is_empty(),
        "the failed multipart upload was aborted"
    );
}

#[tokio::test]
async fn odd_keys_round_trip_and_copy_keeps_metadata() {
    let moto = Moto::start();
    let store = store(&moto, "odd").await;
    let odd = [
        "survey with spaces/line 1.all",
        "survey/ünïcödé/ファイル.bag",
        "survey/a+b=c&d?e#f%20g.tif",
        "survey/'quotes\"and;semicolons'.gsf",
    ];
    for name in odd {
        store
            .put_bytes(&key(name), name.as_bytes().to_vec())
            .await
            .unwrap();
        let copied = store
            .copy(&key(name), &key(&format!("copy/{name}")))
            .await
            .unwrap();
        assert_eq!(copied.cid, Some(cid_of_bytes(name.as_bytes())), "{name}");
        assert_eq!(
            store
                .get_bytes(&key(&format!("copy/{name}")))
                .await
                .unwrap(),
            name.as_bytes()
        );
    }
    let listed = store.list_all(&Prefix::default()).await.unwrap();
    assert_eq!(listed.objects.len(), odd.len() * 2);

    store.delete(&key(odd[0])).await.unwrap();
    assert!(store.head(&key(odd[0])).await.unwrap().is_none());
    store.delete(&key(odd[0])).await.unwrap();
    let err = store.get(&key(odd[0])).await.err().unwrap();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn hostile_keys_already_in_a_bucket_are_reported_not_used() {
    let moto = Moto::start();
    let store = store(&moto, "hostile").await;
    let raw = moto.s3_client();
    for hostile in ["up/../../escape.txt", "up//double", "up/./dot"] {
        raw.put_object()
            .bucket("hostile")
            .key(hostile)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    store
        .put_bytes(&key("up/fine.txt"), b"fine".to_vec())
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let target = DirStore::new(dir.path().join("mirror"));
    let report = sync_prefixes(&store, "up", &target, "").await;
    assert_eq!(report.copied, 1);
    let failed: Vec<&str> = report.failed.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(failed, ["up/../../escape.txt", "up/./dot", "up//double"]);
    assert!(report.failed[0].error.contains("`..` segment"));
    assert!(!dir.path().join("escape.txt").exists());
    assert_eq!(
        std::fs::read(dir.path().join("mirror/fine.txt")).unwrap(),
        b"fine"
    );
}

#[tokio::test]
async fn sync_between_folder_and_buckets_skips_by_cid() {
    let moto = Moto::start();
    let uploads = Arc::new(store(&moto, "uploads").await);
    let products = store(&moto, "products").await;
    let dir = tempfile::tempdir().unwrap();
    let local = DirStore::new(dir.path());
    for i in 0..40 {
        std::fs::create_dir_all(dir.path().join("raw")).unwrap();
        std::fs::write(
            dir.path().join(format!("raw/{i}.all")),
            data(1000 + i, i as u64),
        )
        .unwrap();
    }

    let up = sync_prefixes(&local, "", uploads.as_ref(), "H12604").await;
    assert_eq!((up.copied, up.skipped), (40, 0));
    assert!(up.failed.is_empty(), "{:?}", up.failed);

    let again = sync_prefixes(&local, "", uploads.as_ref(), "H12604").await;
    assert_eq!((again.copied, again.skipped, again.bytes), (0, 40, 0));

    let across = sync_prefixes(uploads.as_ref(), "H12604", &products, "mirror").await;
    assert_eq!(across.copied, 40);
    let cid = products.cid(&key("mirror/raw/7.all")).await.unwrap();
    assert_eq!(cid, cid_of_bytes(&data(1007, 7)));

    let back = tempfile::tempdir().unwrap();
    let down = sync_prefixes(&products, "mirror", &DirStore::new(back.path()), "").await;
    assert_eq!(down.copied, 40);
    assert_eq!(
        std::fs::read(back.path().join("raw/39.all")).unwrap(),
        data(1039, 39)
    );
}

#[tokio::test]
async fn an_interrupted_sync_resumes_without_recopying() {
    let moto = Moto::start();
    let bucket = Arc::new(store(&moto, "resume").await);
    let dir = tempfile::tempdir().unwrap();
    let local = Arc::new(DirStore::new(dir.path()));
    for i in 0..200 {
        std::fs::write(dir.path().join(format!("{i:03}.gsf")), data(2000, i)).unwrap();
    }

    // Abort the sync once 50 objects are done, the way a kill would stop it mid-flight.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let options = SyncOptions {
        concurrency: 4,
        observer: Some(Arc::new(move |event: &SyncEvent| {
            if matches!(event, SyncEvent::Done { .. }) {
                let _ = done_tx.send(());
            }
        })),
    };
    let task = {
        let (local, bucket) = (local.clone(), bucket.clone());
        tokio::spawn(async move {
            sync(
                local.as_ref(),
                &Prefix::default(),
                bucket.as_ref(),
                &Prefix::default(),
                &options,
            )
            .await
        })
    };
    for _ in 0..50 {
        done_rx.recv().await.unwrap();
    }
    task.abort();
    let _ = task.await;
    let landed = bucket
        .list_all(&Prefix::default())
        .await
        .unwrap()
        .objects
        .len() as u64;
    assert!(
        (50..200).contains(&landed),
        "{landed} objects landed before the interruption"
    );

    let resumed = sync_prefixes(local.as_ref(), "", bucket.as_ref(), "").await;
    assert_eq!(resumed.skipped, landed, "everything that landed is skipped");
    assert_eq!(resumed.copied, 200 - landed);
    for i in [0, 99, 199] {
        let name = format!("{i:03}.gsf");
        assert_eq!(
            bucket.cid(&key(&name)).await.unwrap(),
            cid_of_bytes(&data(2000, i))
        );
    }
}

#[tokio::test]
async fn buckets_of_one_service_copy_server_side_and_list_cids_from_the_etag_cache() {
    let moto = Moto::start();
    let etags = Arc::new(leadline_core::store::EtagCidCache::in_memory());
    let on_moto = |bucket: &str| {
        S3Store::new(moto.s3_client(), bucket)
            .on_service(moto.endpoint())
            .with_etag_cache(etags.clone())
    };
    moto.create_bucket("work").await;
    moto.create_bucket("products").await;
    let work = on_moto("work");
    let products = on_moto("products");
    // One object as another tool would upload it: no CID metadata, no checksum.
    moto.s3_client()
        .put_object()
        .bucket("work")
        .key("run/foreign.tif")
        .body(b"written by another tool".to_vec().into())
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        work.put_bytes(&key(&format!("run/{i}.tif")), data(500, i))
            .await
            .unwrap();
    }

    let report = sync_prefixes(&work, "run", &products, "H1").await;
    assert_eq!((report.copied, report.bytes), (11, 10 * 500 + 23));
    assert_eq!(
        products.get_bytes(&key("H1/3.tif")).await.unwrap(),
        data(500, 3)
    );
    assert_eq!(
        products.cid(&key("H1/foreign.tif")).await.unwrap(),
        cid_of_bytes(b"written by another tool"),
        "the server-side copy of an object without metadata still has a known CID"
    );

    // Every CID is now known from listings alone, on both sides: even the foreign object's,
    // learned from the checksum S3 computed for its copy.
    for (store, prefix) in [(&products, "H1"), (&work, "run")] {
        let listed = store.list_all(&Prefix::new(prefix).unwrap()).await.unwrap();
        assert!(
            listed.objects.iter().all(|o| o.cid.is_some()),
            "{:?}",
            listed.objects
        );
    }
    let again = sync_prefixes(&work, "run", &products, "H1").await;
    assert_eq!((again.copied, again.skipped), (0, 11));

    // Rewritten behind our back with the same size: the ETag changes, so the cache misses and
    // the CIDs are compared afresh.
    moto.s3_client()
        .put_object()
        .bucket("products")
        .key("H1/3.tif")
        .body(data(500, 99).into())
        .send()
        .await
        .unwrap();
    let repaired = sync_prefixes(&work, "run", &products, "H1").await;
    assert_eq!((repaired.copied, repaired.skipped), (1, 10));
    assert_eq!(
        products.get_bytes(&key("H1/3.tif")).await.unwrap(),
        data(500, 3)
    );
}

#[tokio::test]
async fn stores_of_different_services_never_copy_server_side() {
    let moto = Moto::start();
    let other = Moto::start();
    moto.create_bucket("same-name").await;
    other.create_bucket("same-name").await;
    other.create_bucket("target").await;
    let here = S3Store::new(moto.s3_client(), "same-name").on_service(moto.endpoint());
    let there = S3Store::new(other.s3_client(), "target").on_service(other.endpoint());
    here.put_bytes(&key("a"), b"from the first server".to_vec())
        .await
        .unwrap();
    let copied = sync_prefixes(&here, "", &there, "").await;
    assert_eq!(copied.copied, 1);
    assert_eq!(
        there.get_bytes(&key("a")).await.unwrap(),
        b"from the first server"
    );
}
