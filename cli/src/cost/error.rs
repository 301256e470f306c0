use crate::exit::Exit;

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("no built-in price table for region {region} (built in: {available})")]
    NoPriceTable { region: String, available: String },

    #[error("the price table for {region} (dated {date}) has no {what} price for `{key}`")]
    MissingPrice { region: String, date: String, what: &'static str, key: String },

    #[error("price table {name} is malformed: {message}")]
    MalformedTable { name: String, message: String },

    #[error("workload model {name} is malformed: {message}")]
    MalformedWorkload { name: String, message: String },

    #[error("the AWS Price List API call for {service_code} failed: {message}")]
    PriceListCall { service_code: String, message: String },

    #[error("the AWS Price List API has no on-demand {what} price in {region} ({detail})")]
    PriceListMissing { what: String, region: String, detail: String },

    #[error("the AWS Price List API answered a malformed price document for {service_code}: {message}")]
    PriceListMalformed { service_code: String, message: String },
}

impl CostError {
    pub fn exit(&self) -> Exit {
        match self {
            // The tier or environment asks for something the table cannot price: bad input.
            CostError::NoPriceTable { .. } | CostError::MissingPrice { .. } => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CostError::NoPriceTable { .. } => Some(
                "add pricing/aws-<region>.yaml (same keys as pricing/aws-us-east-1.yaml), or pass --live to ask the AWS Price List API"
                    .into(),
            ),
            CostError::MissingPrice { region, .. } => Some(format!(
                "add the price to pricing/aws-{region}.yaml, or pass --live to ask the AWS Price List API"
            )),
            CostError::PriceListCall { .. } => Some(
                "the Price List API needs credentials allowed pricing:GetProducts; it answers from us-east-1 whatever the priced region"
                    .into(),
            ),
            _ => None,
        }
    }
}
