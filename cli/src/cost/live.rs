//! `--live`: the same price table, read from the AWS Price List API
//! (GetProducts). The API is a seam (`PriceList`): the SDK adapter below in
//! the product, a recorded answer in the unit tests (the emulator has no
//! Price List service).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use serde::Deserialize;

use super::pricing::{DataTransferPrices, Ec2Prices, LoadBalancerPrices, MskPrices, PriceTable};
use super::CostError;

/// The Price List API answers only from a few regions; us-east-1 is one, and
/// it prices every region.
pub const PRICE_LIST_API_REGION: &str = "us-east-1";
const HOURS_PER_MONTH: f64 = 730.0;

/// GetProducts: every price document of `service_code` matching all `filters`
/// (TERM_MATCH on attribute = value), pages followed.
pub trait PriceList {
    fn products(
        &self,
        service_code: &str,
        filters: &[(&str, &str)],
    ) -> impl Future<Output = Result<Vec<String>, CostError>> + Send;
}

/// The SDK's client as a `PriceList`.
pub struct SdkPriceList {
    pub client: aws_sdk_pricing::Client,
}

impl PriceList for SdkPriceList {
    async fn products(&self, service_code: &str, filters: &[(&str, &str)]) -> Result<Vec<String>, CostError> {
        use aws_sdk_pricing::types::{Filter, FilterType};
        let call_failed =
            |message: String| CostError::PriceListCall { service_code: service_code.to_string(), message };
        let mut request = self.client.get_products().service_code(service_code).format_version("aws_v1");
        for (field, value) in filters {
            let filter = Filter::builder()
                .r#type(FilterType::TermMatch)
                .field(*field)
                .value(*value)
                .build()
                .map_err(|err| call_failed(err.to_string()))?;
            request = request.filters(filter);
        }
        let mut pages = request.into_paginator().send();
        let mut documents = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| call_failed(aws_sdk_pricing::error::DisplayErrorContext(err).to_string()))?;
            documents.extend(page.price_list.unwrap_or_default());
        }
        Ok(documents)
    }
}

/// One price document, the fields the estimate needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceDocument {
    product: Product,
    terms: Terms,
    publication_date: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Product {
    sku: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, Term>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Term {
    price_dimensions: BTreeMap<String, PriceDimension>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceDimension {
    unit: String,
    price_per_unit: BTreeMap<String, String>,
}

/// A product's on-demand price in USD per `unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemandPrice {
    pub sku: String,
    pub usage_type: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub unit: String,
    pub usd: f64,
    pub publication_date: String,
}

/// Reads one GetProducts document. A document without an on-demand USD
/// price is malformed for our use, not a price of zero.
pub fn parse_on_demand(service_code: &str, document: &str) -> Result<Vec<OnDemandPrice>, CostError> {
    let malformed = |message: String| CostError::PriceListMalformed { service_code: service_code.to_string(), message };
    let parsed: PriceDocument = serde_json::from_str(document).map_err(|err| malformed(err.to_string()))?;
    let mut prices = Vec::new();
    for term in parsed.terms.on_demand.values() {
        for dimension in term.price_dimensions.values() {
            let text = dimension
                .price_per_unit
                .get("USD")
                .ok_or_else(|| malformed(format!("SKU {} has a price without USD", parsed.product.sku)))?;
            let usd: f64 =
                text.parse().map_err(|_| malformed(format!("SKU {}: `{text}` is not a price", parsed.product.sku)))?;
            prices.push(OnDemandPrice {
                sku: parsed.product.sku.clone(),
                usage_type: parsed.product.attributes.get("usagetype").cloned(),
                attributes: parsed.product.attributes.clone(),
                unit: dimension.unit.clone(),
                usd,
                publication_date: parsed.publication_date.clone(),
            });
        }
    }
    Ok(prices)
}

/// What the estimate prices: the profile's broker type and the roles'
/// instance types.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub broker_types: BTreeSet<String>,
    pub instance_types: BTreeSet<String>,
}

/// Builds a price table for `region` from the Price List API.
pub async fn live_table(api: &impl PriceList, region: &str, needs: &Needs) -> Result<PriceTable, CostError> {
    let mut lookup = Lookup { region, publication_dates: BTreeSet::new() };

    let msk = lookup.documents(api, "AmazonMSK", &[("regionCode", region)]).await?;
    let mut broker_hour = BTreeMap::new();
    for broker_type in &needs.broker_types {
        let price = lookup.one(&msk, &format!("MSK broker {broker_type}"), |price| {
            price.unit == "Hrs" && price.attributes.values().any(|value| value == broker_type)
        })?;
        broker_hour.insert(broker_type.clone(), price);
    }
    let storage_gb_month = lookup.one(&msk, "MSK broker storage", |price| {
        let usage = price.usage_type.as_deref().unwrap_or_default();
        price.unit == "GB-Mo"
            && usage.contains("Storage")
            && !["Tiered", "Express", "Serverless"].iter().any(|other| usage.contains(other))
    })?;

    let mut instance_hour = BTreeMap::new();
    for instance_type in &needs.instance_types {
        let filters = [
            ("regionCode", region),
            ("instanceType", instance_type.as_str()),
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
            ("operation", "RunInstances"),
        ];
        let documents = lookup.documents(api, "AmazonEC2", &filters).await?;
        let price = lookup.one(&documents, &format!("EC2 {instance_type}"), |price| price.unit == "Hrs")?;
        instance_hour.insert(instance_type.clone(), price);
    }
    let gp3 = lookup
        .documents(api, "AmazonEC2", &[("regionCode", region), ("productFamily", "Storage"), ("volumeApiName", "gp3")])
        .await?;
    let ebs_gp3_gb_month = lookup.one(&gp3, "EBS gp3 storage", |price| price.unit == "GB-Mo")?;

    let elb = lookup
        .documents(api, "AWSELB", &[("regionCode", region), ("productFamily", "Load Balancer-Application")])
        .await?;
    let usage_ends =
        |price: &OnDemandPrice, suffix: &str| price.usage_type.as_deref().is_some_and(|u| u.ends_with(suffix));
    let hour = lookup.one(&elb, "application load balancer hour", |price| usage_ends(price, "LoadBalancerUsage"))?;
    let lcu_hour = lookup.one(&elb, "application load balancer LCU-hour", |price| usage_ends(price, "LCUUsage"))?;

    let transfer = lookup
        .documents(
            api,
            "AWSDataTransfer",
            &[("fromRegionCode", region), ("toRegionCode", region), ("transferType", "IntraRegion")],
        )
        .await?;
    let cross_az = lookup.one(&transfer, "data transfer between AZs", |price| price.unit == "GB")?;

    let date = lookup.publication_dates.iter().next_back().cloned().unwrap_or_default();
    Ok(PriceTable {
        region: region.to_string(),
        date: date.clone(),
        currency: "USD".into(),
        source: vec![format!("AWS Price List API (GetProducts), publication {date}")],
        hours_per_month: HOURS_PER_MONTH,
        msk: MskPrices { broker_hour, storage_gb_month },
        ec2: Ec2Prices { instance_hour, ebs_gp3_gb_month },
        load_balancer: LoadBalancerPrices { hour, lcu_hour },
        data_transfer: DataTransferPrices { cross_az_gb_each_direction: cross_az },
    })
}

struct Lookup<'a> {
    region: &'a str,
    publication_dates: BTreeSet<String>,
}

impl Lookup<'_> {
    async fn documents(
        &mut self,
        api: &impl PriceList,
        service_code: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<OnDemandPrice>, CostError> {
        let mut prices = Vec::new();
        for document in api.products(service_code, filters).await? {
            prices.extend(parse_on_demand(service_code, &document)?);
        }
        Ok(prices)
    }

    /// The one price matching `wanted`. Tiered dimensions (the first GBs
    /// free) are skipped when a paid one exists; two different paid prices
    /// mean the filter is ambiguous, which is an error, not a guess.
    fn one(
        &mut self,
        prices: &[OnDemandPrice],
        what: &str,
        wanted: impl Fn(&OnDemandPrice) -> bool,
    ) -> Result<f64, CostError> {
        let matching: Vec<&OnDemandPrice> = prices.iter().filter(|price| wanted(price)).collect();
        let paid: BTreeSet<String> =
            matching.iter().filter(|price| price.usd > 0.0).map(|price| price.usd.to_string()).collect();
        let detail = || {
            let usages: BTreeSet<&str> = matching.iter().filter_map(|price| price.usage_type.as_deref()).collect();
            format!("{} matching of {} read; usage types: {usages:?}", matching.len(), prices.len())
        };
        let chosen = match paid.len() {
            0 => matching.first().copied(),
            1 => matching.iter().copied().find(|price| price.usd > 0.0),
            _ => {
                return Err(CostError::PriceListMissing {
                    what: format!("single {what}"),
                    region: self.region.to_string(),
                    detail: format!("prices {paid:?} differ; {}", detail()),
                })
            }
        };
        let Some(chosen) = chosen else {
            return Err(CostError::PriceListMissing {
                what: what.to_string(),
                region: self.region.to_string(),
                detail: detail(),
            });
        };
        self.publication_dates.insert(chosen.publication_date.clone());
        Ok(chosen.usd)
    }
}

impl SdkPriceList {
    /// The SDK configuration forgectl builds for every AWS call (credentials,
    /// profile, `AWS_ENDPOINT_URL`), pointed at the Price List API's region.
    pub async fn connect(environment: &crate::config::Environment) -> SdkPriceList {
        let shared = crate::aws::sdk_config(environment).await;
        let config = aws_sdk_pricing::config::Builder::from(&shared)
            .region(aws_config::Region::new(PRICE_LIST_API_REGION))
            .build();
        SdkPriceList { client: aws_sdk_pricing::Client::from_conf(config) }
    }
}
