//! `map-form-fields`: Form Field Mapping (`form.submitted`) into the mapped custom
//! fields of each submission's case. SQS trigger (the form-fields queue).

use aws_adapters::config::{FormFieldsConfig, FromEnv};
use aws_adapters::{Aws, lambda};
use hona_domain::Pipeline;
use hona_domain::forms::MapFormFields;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_tracing();
    let config = FormFieldsConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let push = MapFormFields {
        mappings: aws.mappings(&config.mappings_table),
        mycase: aws.mycase(),
    };
    lambda::run(Pipeline::new(push, aws.stores())).await
}
