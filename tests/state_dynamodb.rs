//! The state seam's protocol (src/state/mod.rs), each scenario run against the in-memory store
//! and against the DynamoDB store on a moto server: claims, leases, release, concurrent claims,
//! TTL on every item, which failures count as unavailable, and the suppression sequence of
//! issue 14's acceptance (30 matches in one file, 5 more in a second inside the window, 1 after
//! it: 2 alerts, the second saying 34).
mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use trailwatch::correlate::{Contribution, GroupId, Slice};
use trailwatch::deliver::{AlertKey, Claim, ClaimStore};
use trailwatch::plan::{Sighting, SuppressKey, Suppression};
use trailwatch::state::dynamodb::TTL_ATTRIBUTE;
use trailwatch::state::{DynamoStore, MemoryStore, StateError, StateStore};
use trailwatch::verdict::SuppressionStore;

const TABLE: &str = "trailwatch-state";
const LEASE: Duration = Duration::from_secs(60);
const RETENTION: Duration = Duration::from_secs(7 * 86_400);

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn key(n: usize) -> AlertKey {
    AlertKey::alert("rule-a", format!("event-{n:04}"))
}

fn sighting(origin: &str, at: SystemTime, repeats: u64) -> Sighting {
    Sighting {
        key: SuppressKey {
            rule_id: "rule-s".into(),
            values: vec![Some("arn:aws:iam::123456789012:user/mallory".into()), None],
        },
        origin: origin.into(),
        at,
        window: secs(3600),
        repeats,
    }
}

/// One key's claim by `who`, `at` seconds after t0.
async fn claim(store: &dyn StateStore, key: &AlertKey, who: &str, at: u64) -> Claim {
    let got = store.claim(std::slice::from_ref(key), who, t0() + secs(at), LEASE);
    got.await.unwrap()[0]
}

async fn claims_follow_the_protocol(store: &dyn StateStore) {
    let (a, b) = ("invocation-a", "invocation-b");
    let digest = AlertKey::digest("rule-a", "bucket/AWSLogs/x.json.gz");
    let keys = [key(1), key(2), digest];
    let all = store.claim(&keys, a, t0(), LEASE).await.unwrap();
    assert_eq!(all, [Claim::Won; 3]);
    // Another owner inside the lease is held off, and told until when.
    let held = |from: u64| Claim::HeldByOther {
        until: t0() + secs(from) + LEASE,
    };
    assert_eq!(claim(store, &keys[0], b, 10).await, held(0));
    // Delivered: skipped by everyone from then on, before and after the lease.
    store
        .delivered(&keys[..1], a, t0() + secs(20))
        .await
        .unwrap();
    for (who, at) in [(b, 30), (a, 30), (b, 3600)] {
        let got = claim(store, &keys[0], who, at).await;
        assert_eq!(got, Claim::AlreadyDelivered, "{who} at +{at}s");
    }
    // An expired lease that never delivered is taken over; the old owner is then held off.
    assert_eq!(claim(store, &keys[1], b, 61).await, Claim::Won);
    assert_eq!(claim(store, &keys[1], a, 62).await, held(61));
    // Only the holder can give a claim back, and then anyone may claim it at once.
    store.release(&keys[1..2], a).await.unwrap();
    assert_eq!(claim(store, &keys[1], a, 63).await, held(61));
    store.release(&keys[1..2], b).await.unwrap();
    assert_eq!(claim(store, &keys[1], a, 64).await, Claim::Won);
    // A delivered identity past its retention is forgotten (the TTL).
    let forgotten = 20 + RETENTION.as_secs() + 1;
    assert_eq!(claim(store, &keys[0], b, forgotten).await, Claim::Won);
}

async fn big_batches_keep_their_order(store: &dyn StateStore) {
    let keys: Vec<AlertKey> = (0..60).map(key).collect();
    store.delivered(&keys[..30], "a", t0()).await.unwrap();
    // The same key twice in one call is fine too.
    store.delivered(&keys[..2], "a", t0()).await.unwrap();
    store.delivered(&[key(0), key(0)], "a", t0()).await.unwrap();
    let got = store.claim(&keys, "b", t0(), LEASE).await.unwrap();
    let want: Vec<Claim> = (0..60)
        .map(|i| {
            if i < 30 {
                Claim::AlreadyDelivered
            } else {
                Claim::Won
            }
        })
        .collect();
    assert_eq!(got, want);
}

async fn concurrent_claims_have_one_winner(store: Arc<dyn StateStore>) {
    let keys: Vec<AlertKey> = (0..40)
        .map(|n| AlertKey::alert("rule-c", format!("event-{n}")))
        .collect();
    let keys = Arc::new(keys);
    let tasks: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|owner| {
            let (store, keys) = (store.clone(), keys.clone());
            tokio::spawn(async move { store.claim(&keys, owner, t0(), LEASE).await.unwrap() })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    for i in 0..keys.len() {
        let won = results.iter().filter(|r| r[i] == Claim::Won).count();
        assert_eq!(won, 1, "key {i}: {:?} / {:?}", results[0][i], results[1][i]);
    }
}

async fn suppression_30_5_1(store: &dyn StateStore) {
    let now = t0();
    let first = sighting("bucket/file-1.json.gz", t0(), 30);
    let second = sighting("bucket/file-2.json.gz", t0() + secs(600), 5);
    let third = sighting("bucket/file-3.json.gz", t0() + secs(3601), 1);
    let mut sent = Vec::new();
    for s in [&first, &second] {
        sent.extend(store.suppress(std::slice::from_ref(s), now).await.unwrap());
        // A retried file changes nothing: same answer, nothing counted twice.
        let again = store.suppress(std::slice::from_ref(s), now).await.unwrap();
        assert_eq!(Some(&again[0]), sent.last(), "retry of {}", s.origin);
    }
    sent.extend(
        store
            .suppress(std::slice::from_ref(&third), now)
            .await
            .unwrap(),
    );
    assert_eq!(
        sent,
        [
            Suppression::Deliver { suppressed: 0 },
            Suppression::Suppressed,
            Suppression::Deliver { suppressed: 34 },
        ]
    );
    let delivered: Vec<_> = sent
        .iter()
        .filter(|s| matches!(s, Suppression::Deliver { .. }))
        .collect();
    assert_eq!(delivered.len(), 2);
    // Another combination of the same rule has its own window.
    let mut other = sighting("bucket/file-2.json.gz", t0() + secs(600), 1);
    other.key.values[1] = Some("203.0.113.7".into());
    let got = store.suppress(&[other], now).await.unwrap();
    assert_eq!(got, [Suppression::Deliver { suppressed: 0 }]);
}

fn memory() -> MemoryStore {
    MemoryStore::new(RETENTION)
}

#[tokio::test]
async fn memory_claims_follow_the_protocol() {
    claims_follow_the_protocol(&memory()).await;
    big_batches_keep_their_order(&memory()).await;
    concurrent_claims_have_one_winner(Arc::new(memory())).await;
}

#[tokio::test]
async fn memory_suppression_sends_2_of_36_and_counts_34() {
    suppression_30_5_1(&memory()).await;
}

async fn moto_store(moto: &support::Moto) -> (DynamoStore, aws_sdk_dynamodb::Client) {
    let client = moto.create_state_table(TABLE).await;
    (DynamoStore::new(client.clone(), TABLE, RETENTION), client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_store_keeps_the_protocol_and_a_ttl_on_every_item() {
    let moto = support::Moto::start();
    let (store, client) = moto_store(&moto).await;
    claims_follow_the_protocol(&store).await;
    big_batches_keep_their_order(&store).await;
    suppression_30_5_1(&store).await;
    let store: Arc<dyn StateStore> = Arc::new(store);
    concurrent_claims_have_one_winner(store).await;

    let items = support::state_items(&client, TABLE).await;
    assert!(items.len() > 60, "{} items", items.len());
    for item in &items {
        let ttl = item.get(TTL_ATTRIBUTE).and_then(|v| v.as_n().ok());
        let secs: u64 = ttl
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("item without a numeric {TTL_ATTRIBUTE}: {item:?}"));
        assert!(secs > 1_795_000_000, "{item:?}");
    }
    let window = items
        .iter()
        .find(|i| i["sk"] == AttributeValue::S(sighting("", t0(), 1).key.digest()))
        .expect("the suppression window item");
    assert_eq!(window["suppressed"], AttributeValue::N("0".into()));
    assert_eq!(window["suppressed_before"], AttributeValue::N("34".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_an_error_but_not_unavailable() {
    let moto = support::Moto::start();
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let store = DynamoStore::new(client, "no-such-table", RETENTION);
    let err = store.claim(&[key(1)], "a", t0(), LEASE).await.unwrap_err();
    assert!(matches!(err, StateError::Other { .. }), "{err}");
}

/// A store whose endpoint is `127.0.0.1:port`, with test credentials and the SDK's standard
/// retries, only with short waits between them.
async fn store_at(port: u16) -> DynamoStore {
    let retries = aws_config::retry::RetryConfig::standard()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50));
    let config = trailwatch::aws::loader()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(retries)
        .region(aws_config::Region::new(support::REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), TABLE, RETENTION)
}

/// A DynamoDB stand-in that answers every request with this status and error code.
async fn failing_endpoint(status: u16, code: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                while let Ok(Some(_)) = support::http::read_request(&mut conn).await {
                    let body = format!(
                        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected"}}"#
                    );
                    let response = format!(
                        "HTTP/1.1 {status} Injected\r\ncontent-type: application/x-amz-json-1.0\r\n\
                         x-amzn-errortype: {code}\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if conn.write_all(response.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn throttling_5xx_and_no_connection_are_unavailable_access_denied_is_not() {
    // Bound, never listening: connections are refused, and no other test can take the port.
    let (port, _refusing) = support::refusing_port();
    let store = store_at(port).await;
    let err = store.claim(&[key(1)], "a", t0(), LEASE).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    let err = store.suppress(&[sighting("o", t0(), 1)], t0()).await;
    assert!(err.unwrap_err().is_unavailable());
    for (status, code, unavailable) in [
        (400, "ThrottlingException", true),
        (400, "ProvisionedThroughputExceededException", true),
        (500, "InternalServerError", true),
        (503, "ServiceUnavailable", true),
        (400, "AccessDeniedException", false),
    ] {
        let store = store_at(failing_endpoint(status, code).await).await;
        let err = store.delivered(&[key(1)], "a", t0()).await.unwrap_err();
        assert_eq!(err.is_unavailable(), unavailable, "{status} {code}: {err}");
        let err = store.release(&[key(1)], "a").await.unwrap_err();
        assert_eq!(err.is_unavailable(), unavailable, "{status} {code}: {err}");
    }
}

/// One event's slice of a busy group, as the real-time path stores it.
fn busy_slice(i: u64) -> Slice {
    let at = 1_800_000_000_000 + i as i64;
    Slice {
        group: GroupId {
            correlation: "lightsail-enumeration".into(),
            group: "alice".into(),
        },
        values: vec![Some("alice".into())],
        origin: format!("{i:016x}"),
        contributions: vec![Contribution {
            id: i,
            at,
            input: 0,
            value: Some(format!("Get{}", i % 7)),
        }],
        samples: Vec::new(),
        span_ms: 300_000,
        keep_ms: 3_900_000,
    }
}

/// Feeds one group 100 single-record slices (then the first again, redelivered) and checks
/// that every gather sees each record once while the group's items stay few.
async fn a_busy_group_stays_a_few_items(store: &dyn StateStore) {
    let now = UNIX_EPOCH + Duration::from_millis(1_800_000_060_000);
    for (step, i) in (0..100).chain([0]).enumerate() {
        let got = store.gather(&[busy_slice(i)], now).await.expect("gather");
        let mut ids: Vec<u64> = got[0]
            .iter()
            .flat_map(|s| s.contributions.iter().map(|c| c.id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let expected = (step as u64 + 1).min(100);
        assert_eq!(
            ids,
            (0..expected).collect::<Vec<_>>(),
            "gather of record {i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_group_is_merged_not_read_slice_by_slice() {
    a_busy_group_stays_a_few_items(&memory()).await;
    let moto = support::Moto::start();
    let (store, client) = moto_store(&moto).await;
    a_busy_group_stays_a_few_items(&store).await;
    let items = support::state_items(&client, TABLE).await;
    let slices = items
        .iter()
        .filter(|i| i["sk"].as_s().is_ok_and(|s| s.starts_with("slice#")))
        .count();
    assert!(
        (1..=40).contains(&slices),
        "{slices} slice items for one group of 100 records"
    );
}
