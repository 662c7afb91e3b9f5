//! The two halves every test proxy between the SDK and moto needs: read one whole request,
//! and forward it upstream on a fresh connection whose response ends at EOF.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request as the SDK sent it.
pub struct Request {
    pub head: String,
    pub body: Vec<u8>,
}

/// Reads one request (head, then `content-length` bytes of body); `None` when the client hung up.
pub async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 65536];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    Ok(Some(Request { head, body }))
}

/// Sends `request` to `127.0.0.1:upstream` with `Connection: close` and returns the whole response.
pub async fn forward(upstream: u16, request: &Request) -> std::io::Result<Vec<u8>> {
    let mut head_out = String::new();
    for line in request.head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head_out.push_str(line);
            head_out.push_str("\r\n");
        }
    }
    head_out.push_str("connection: close\r\n\r\n");
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
    up.write_all(head_out.as_bytes()).await?;
    up.write_all(&request.body).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    Ok(response)
}
