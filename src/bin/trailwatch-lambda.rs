//! The Lambda function: the handler behind the Lambda runtime, nothing more.

use lambda_runtime::service_fn;
use trailwatch::handler::Handler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    trailwatch::logging::init_json();
    let handler = &Handler::from_env().await?;
    lambda_runtime::run(service_fn(|event| handler.invoke(event))).await
}
