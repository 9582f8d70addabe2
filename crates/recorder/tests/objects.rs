//! Footage in S3 with Object Lock (issue 15), against moto's S3 server, which enforces the
//! locks itself: a locked version cannot be deleted, a held one not even after its lock, the
//! lock cannot be shortened, erasure removes the version itself, and a bucket without Object
//! Lock is refused before any footage goes to it.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_peers::MotoS3;
use mimamori_recorder::objects::{Bucket, BucketSettings, LockMode, ObjectError};

fn settings(endpoint: &str, bucket: &str, lock_mode: LockMode) -> BucketSettings {
    BucketSettings {
        endpoint: endpoint.to_owned(),
        region: "us-east-1".into(),
        bucket: bucket.to_owned(),
        access_key: "mimamori-test".into(),
        secret_key: "mimamori-test-secret".into(),
        lock_mode,
    }
}

/// Bytes that differ at every offset, so a wrong range cannot pass.
fn footage(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn t5_3_t5_4_footage_is_kept_by_its_lock_held_and_erased_by_version() {
    let moto = MotoS3::start();
    let bucket = Bucket::new(&settings(&moto.endpoint, "footage", LockMode::Compliance));
    bucket.create().await.unwrap();
    bucket.check().await.unwrap();
    let data = footage(64 * 1024);
    let now = Timestamp::now();

    // Within its window a version is read by range and cannot be deleted or unlocked early.
    let kept = bucket
        .put(
            "cam1/2026-11-23/kept.seg",
            data.clone(),
            now + SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        bucket.read(&kept, 1000..5000).await.unwrap(),
        data[1000..5000]
    );
    assert!(matches!(
        bucket.erase(&kept).await,
        Err(ObjectError::Locked { .. })
    ));
    // moto itself lets a COMPLIANCE lock be shortened; mimamori never asks.
    assert!(matches!(
        bucket
            .extend(&kept, now + SignedDuration::from_secs(1))
            .await,
        Err(ObjectError::WouldShorten { .. })
    ));
    bucket
        .extend(&kept, now + SignedDuration::from_hours(2))
        .await
        .unwrap();
    assert_eq!(bucket.read(&kept, 0..10).await.unwrap(), data[..10]);

    // A held version outlives its lock; once the hold is lifted, erasure deletes the version.
    let short = bucket
        .put(
            "cam1/2026-11-23/short.seg",
            data.clone(),
            now + SignedDuration::from_secs(2),
        )
        .await
        .unwrap();
    bucket.hold(&short, true).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(matches!(
        bucket.erase(&short).await,
        Err(ObjectError::Locked { .. })
    ));
    bucket.hold(&short, false).await.unwrap();
    bucket.erase(&short).await.unwrap();
    assert!(matches!(
        bucket.read(&short, 0..10).await,
        Err(ObjectError::NotFound { .. })
    ));
    // The other version of the bucket is untouched.
    assert_eq!(bucket.read(&kept, 0..10).await.unwrap(), data[..10]);
}

#[tokio::test]
async fn governance_mode_is_not_bypassed_by_mimamori() {
    let moto = MotoS3::start();
    let bucket = Bucket::new(&settings(&moto.endpoint, "governed", LockMode::Governance));
    bucket.create().await.unwrap();
    let object = bucket
        .put(
            "cam1/2026-11-23/a.seg",
            footage(100),
            Timestamp::now() + SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
    assert!(matches!(
        bucket.erase(&object).await,
        Err(ObjectError::Locked { .. })
    ));
}

#[tokio::test]
async fn a_bucket_without_object_lock_is_refused() {
    let moto = MotoS3::start();
    let plain = Bucket::new(&settings(&moto.endpoint, "plain", LockMode::Compliance));
    // Made as a storage team might make it by hand: no Object Lock, so no versions kept.
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "k", "s", None, None, "t",
        ))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
        .create_bucket()
        .bucket("plain")
        .send()
        .await
        .unwrap();
    let refused = plain.check().await;
    assert!(
        matches!(&refused, Err(ObjectError::Bucket { why, .. }) if why.contains("Object Lock")),
        "{refused:?}"
    );
}
