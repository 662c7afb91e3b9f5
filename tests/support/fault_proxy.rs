//! The fault-injecting HTTP proxy between the SDK and moto: it counts the requests that contain
//! a needle (an S3 key, `Action=PublishBatch`) and, by plan, answers some of them with an AWS
//! error, drops the connection, or stalls (no answer, or a body that stops halfway).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::{http, Moto};

/// What the proxy does to a request it matches.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// An AWS error response with this status and code.
    Error { status: u16, code: &'static str },
    /// The connection closes without a response.
    Drop,
    /// No response, ever.
    Stall,
    /// The response's headers and half its body, then nothing.
    StallBody,
}

/// Applies `fault` to the requests containing `needle`, after letting `pass` of them through,
/// `times` times.
#[derive(Debug, Clone)]
pub struct Plan {
    pub needle: &'static str,
    pub pass: usize,
    pub times: usize,
    pub fault: Fault,
}

pub const GET_OBJECT: &str = "x-id=GetObject";
pub const PUBLISH_BATCH: &str = "Action=PublishBatch";

pub struct FaultProxy {
    pub endpoint: String,
    plans: Arc<Mutex<Vec<Plan>>>,
    /// Requests seen per needle of any plan ever set, faulted or not.
    seen: Arc<Mutex<Vec<(&'static str, usize)>>>,
}

impl FaultProxy {
    pub async fn start(upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            plans: Arc::default(),
            seen: Arc::default(),
        };
        let (plans, seen) = (proxy.plans.clone(), proxy.seen.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (plans, seen) = (plans.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = serve(client, upstream, plans, seen).await;
                });
            }
        });
        proxy
    }

    /// Counts the requests containing `needle` from now on, faulted or not.
    pub fn watch(&self, needle: &'static str) {
        let mut seen = self.seen.lock().unwrap();
        if !seen.iter().any(|(n, _)| *n == needle) {
            seen.push((needle, 0));
        }
    }

    pub fn plan(&self, plan: Plan) {
        self.watch(plan.needle);
        self.plans.lock().unwrap().push(plan);
    }

    pub fn heal(&self) {
        self.plans.lock().unwrap().clear();
    }

    pub fn seen(&self, needle: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .find(|(n, _)| *n == needle)
            .map_or(0, |(_, c)| *c)
    }
}

/// The fault for this request, if a plan matches and has faults left.
fn fault_for(
    text: &str,
    plans: &Mutex<Vec<Plan>>,
    seen: &Mutex<Vec<(&'static str, usize)>>,
) -> Option<Fault> {
    for (needle, count) in seen.lock().unwrap().iter_mut() {
        if text.contains(*needle) {
            *count += 1;
        }
    }
    let mut plans = plans.lock().unwrap();
    let plan = plans
        .iter_mut()
        .find(|p| text.contains(p.needle) && (p.pass > 0 || p.times > 0))?;
    if plan.pass > 0 {
        plan.pass -= 1;
        return None;
    }
    plan.times -= 1;
    Some(plan.fault)
}

fn error_response(status: u16, code: &str, query_api: bool) -> String {
    let xml = if query_api {
        format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>f</RequestId></ErrorResponse>")
    } else {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message><RequestId>f</RequestId></Error>")
    };
    format!(
        "HTTP/1.1 {status} Injected\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{xml}",
        xml.len()
    )
}

/// Reads one request, applies the fault if one matches, else forwards it with
/// `Connection: close` and relays the answer.
async fn serve(
    mut client: TcpStream,
    upstream: u16,
    plans: Arc<Mutex<Vec<Plan>>>,
    seen: Arc<Mutex<Vec<(&'static str, usize)>>>,
) -> std::io::Result<()> {
    let Some(request) = http::read_request(&mut client).await? else {
        return Ok(());
    };
    let text = format!("{}{}", request.head, String::from_utf8_lossy(&request.body));
    let fault = fault_for(&text, &plans, &seen);
    match fault {
        Some(Fault::Error { status, code }) => {
            let resp = error_response(status, code, text.contains("Action="));
            return client.write_all(resp.as_bytes()).await;
        }
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::Stall) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Some(Fault::StallBody) | None => {}
    }
    let response = http::forward(upstream, &request).await?;
    if matches!(fault, Some(Fault::StallBody)) {
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(response.len(), |i| i + 4);
        let half = split + (response.len() - split) / 2;
        client.write_all(&response[..half]).await?;
        client.flush().await?;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    client.write_all(&response).await
}

/// Counts `PublishBatch` requests on their way to moto; fails them on demand with a 403
/// `AuthorizationError` (which the SDK does not retry).
pub struct PublishBatchProxy {
    pub endpoint: String,
    faults: FaultProxy,
}

impl PublishBatchProxy {
    pub async fn start(upstream: u16) -> PublishBatchProxy {
        let faults = FaultProxy::start(upstream).await;
        faults.watch(PUBLISH_BATCH);
        PublishBatchProxy {
            endpoint: faults.endpoint.clone(),
            faults,
        }
    }

    pub fn count(&self) -> usize {
        self.faults.seen(PUBLISH_BATCH)
    }

    /// Lets `pass` more `PublishBatch` calls through, then fails every later one.
    pub fn fail_after(&self, pass: usize) {
        self.faults.plan(Plan {
            needle: PUBLISH_BATCH,
            pass,
            times: usize::MAX,
            fault: Fault::Error {
                status: 403,
                code: "AuthorizationError",
            },
        });
    }

    pub fn heal(&self) {
        self.faults.heal();
    }
}

/// The SDK config of `moto` with its endpoint moved to `endpoint` (a proxy in front of moto).
pub async fn sdk_via(moto: &Moto, endpoint: &str) -> SdkConfig {
    moto.sdk_config()
        .await
        .into_builder()
        .endpoint_url(endpoint)
        .build()
}
