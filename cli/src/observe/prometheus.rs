//! A thin client of Prometheus' HTTP API (`/api/v1/query`,
//! `/api/v1/query_range`, `/api/v1/alerts`) that returns our own types.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::ObserveError;

/// Each call is bounded: a watch refreshes every few seconds and must not
/// hang on a stuck server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One series of an instant query: its labels and value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiringAlert {
    pub name: String,
    pub severity: String,
    pub labels: BTreeMap<String, String>,
    pub summary: String,
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VectorData {
    result: Vec<VectorSeries>,
}

#[derive(Debug, Deserialize)]
struct VectorSeries {
    metric: BTreeMap<String, String>,
    /// `[unix seconds, "value"]`
    value: (f64, String),
}

#[derive(Debug, Deserialize)]
struct MatrixData {
    result: Vec<MatrixSeries>,
}

#[derive(Debug, Deserialize)]
struct MatrixSeries {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

#[derive(Debug, Deserialize)]
struct AlertsData {
    alerts: Vec<RawAlert>,
}

#[derive(Debug, Deserialize)]
struct RawAlert {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    state: String,
}

#[derive(Debug, Clone)]
pub struct Prometheus {
    base: String,
    client: reqwest::Client,
}

impl Prometheus {
    pub fn new(url: &str) -> Result<Self, ObserveError> {
        let bad = |reason: String| ObserveError::BadUrl { url: url.to_string(), reason };
        let parsed = reqwest::Url::parse(url).map_err(|err| bad(err.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("only http and https are supported".into()));
        }
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().map_err(|err| bad(err.to_string()))?;
        Ok(Self { base: url.trim_end_matches('/').to_string(), client })
    }

    async fn get<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &str,
        params: &[(&str, String)],
    ) -> Result<T, ObserveError> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .query(params)
            .send()
            .await
            .map_err(|source| ObserveError::Unreachable { url: self.base.clone(), source })?;
        let envelope: Envelope<T> = response.json().await.map_err(|err| ObserveError::Malformed {
            url: self.base.clone(),
            query: query.to_string(),
            reason: err.to_string(),
        })?;
        if envelope.status != "success" {
            return Err(ObserveError::Query {
                url: self.base.clone(),
                query: query.to_string(),
                reason: envelope.error.unwrap_or_else(|| envelope.status.clone()),
            });
        }
        envelope.data.ok_or_else(|| ObserveError::Malformed {
            url: self.base.clone(),
            query: query.to_string(),
            reason: "no data".into(),
        })
    }

    fn number(&self, query: &str, text: &str) -> Result<f64, ObserveError> {
        text.parse().map_err(|_| ObserveError::Malformed {
            url: self.base.clone(),
            query: query.to_string(),
            reason: format!("`{text}` is not a number"),
        })
    }

    /// An instant query's series.
    pub async fn query(&self, query: &str) -> Result<Vec<Sample>, ObserveError> {
        let data: VectorData = self.get("/api/v1/query", query, &[("query", query.to_string())]).await?;
        data.result
            .into_iter()
            .map(|series| Ok(Sample { value: self.number(query, &series.value.1)?, labels: series.metric }))
            .collect()
    }

    /// A range query over the last `window`, one point per `step`.
    pub async fn query_range(
        &self,
        query: &str,
        window: Duration,
        step: Duration,
    ) -> Result<Vec<(BTreeMap<String, String>, Vec<f64>)>, ObserveError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let params = [
            ("query", query.to_string()),
            ("start", format!("{:.3}", now - window.as_secs_f64())),
            ("end", format!("{now:.3}")),
            ("step", format!("{}s", step.as_secs().max(1))),
        ];
        let data: MatrixData = self.get("/api/v1/query_range", query, &params).await?;
        data.result
            .into_iter()
            .map(|series| {
                let values =
                    series.values.iter().map(|(_, text)| self.number(query, text)).collect::<Result<Vec<_>, _>>()?;
                Ok((series.metric, values))
            })
            .collect()
    }

    /// Alerts in state `firing` (pending ones have not met their `for:` yet).
    pub async fn firing_alerts(&self) -> Result<Vec<FiringAlert>, ObserveError> {
        let data: AlertsData = self.get("/api/v1/alerts", "alerts", &[]).await?;
        Ok(data
            .alerts
            .into_iter()
            .filter(|alert| alert.state == "firing")
            .map(|alert| FiringAlert {
                name: alert.labels.get("alertname").cloned().unwrap_or_default(),
                severity: alert.labels.get("severity").cloned().unwrap_or_default(),
                summary: alert.annotations.get("summary").cloned().unwrap_or_default(),
                labels: alert.labels,
            })
            .collect())
    }
}
