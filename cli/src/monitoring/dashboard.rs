//! The environment's CloudWatch dashboard, built from typed widgets and
//! serialised into CloudWatch's dashboard body format (a `widgets` array;
//! each metric line is an array of namespace, name, dimension pairs and an
//! options object). Compared with what AWS holds as JSON values, so key
//! order and whitespace never count as a change.

use forgectl_contract::cloudwatch as services;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use crate::profile::RoleName;

use super::alarms::{BROKER_ID, CLUSTER_NAME, CONSUMER_GROUP, ELB, KAFKA, TOPIC};
use super::MonitoringTarget;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub widgets: Vec<Widget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Widget {
    /// Always `metric`: every panel is a graph.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub properties: GraphProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphProperties {
    pub title: String,
    pub region: String,
    pub view: &'static str,
    pub stacked: bool,
    pub period: u32,
    pub stat: String,
    pub metrics: Vec<MetricLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotations {
    pub horizontal: Vec<Annotation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    pub label: String,
    pub value: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

/// One line of a graph.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricLine {
    Metric {
        namespace: String,
        metric: String,
        dimensions: Vec<(String, String)>,
        options: LineOptions,
    },
    /// Metric math (or a SEARCH) over the other lines' IDs.
    Expression {
        expression: String,
        label: String,
        id: String,
    },
}

impl Serialize for MetricLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MetricLine::Metric { namespace, metric, dimensions, options } => {
                let mut seq = serializer.serialize_seq(Some(3 + 2 * dimensions.len()))?;
                seq.serialize_element(namespace)?;
                seq.serialize_element(metric)?;
                for (name, value) in dimensions {
                    seq.serialize_element(name)?;
                    seq.serialize_element(value)?;
                }
                seq.serialize_element(options)?;
                seq.end()
            }
            MetricLine::Expression { expression, label, id } => {
                #[derive(Serialize)]
                struct Math<'a> {
                    expression: &'a str,
                    label: &'a str,
                    id: &'a str,
                }
                let mut seq = serializer.serialize_seq(Some(1))?;
                seq.serialize_element(&Math { expression, label, id })?;
                seq.end()
            }
        }
    }
}

fn line(namespace: &str, metric: &str, dimensions: &[(&str, &str)], options: LineOptions) -> MetricLine {
    MetricLine::Metric {
        namespace: namespace.into(),
        metric: metric.into(),
        dimensions: dimensions.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect(),
        options,
    }
}

fn labelled(label: &str) -> LineOptions {
    LineOptions { label: Some(label.into()), ..LineOptions::default() }
}

fn hidden(id: String) -> LineOptions {
    LineOptions { id: Some(id), visible: Some(false), ..LineOptions::default() }
}

/// Two graphs per row, each half the dashboard's 24 columns.
const WIDTH: u32 = 12;
const HEIGHT: u32 = 6;

struct Layout {
    region: String,
    widgets: Vec<Widget>,
}

impl Layout {
    fn graph(
        &mut self,
        title: &str,
        stat: &str,
        period: u32,
        metrics: Vec<MetricLine>,
        annotations: Option<Annotations>,
    ) {
        let index = u32::try_from(self.widgets.len()).unwrap_or(u32::MAX);
        self.widgets.push(Widget {
            kind: "metric",
            x: (index % 2) * WIDTH,
            y: (index / 2) * HEIGHT,
            width: WIDTH,
            height: HEIGHT,
            properties: GraphProperties {
                title: title.into(),
                region: self.region.clone(),
                view: "timeSeries",
                stacked: false,
                period,
                stat: stat.into(),
                metrics,
                annotations,
            },
        });
    }
}

pub fn desired(target: &MonitoringTarget<'_>) -> Dashboard {
    let mut layout = Layout { region: target.region.clone(), widgets: Vec::new() };
    let env = target.env;
    let role_dims =
        |role: RoleName| [(services::DIMENSION_ENVIRONMENT, env), (services::DIMENSION_ROLE, role.as_str())];
    let producer = role_dims(RoleName::Producer);
    layout.graph(
        "Uploads (requests per minute)",
        "Sum",
        60,
        vec![line(services::NAMESPACE, services::PRODUCER_REQUESTS_TOTAL, &producer, labelled("requests"))],
        None,
    );
    if let Some(lb) = &target.load_balancer {
        let dims = [("LoadBalancer", lb.as_str())];
        let stat =
            |stat: &str| LineOptions { stat: Some(stat.into()), label: Some(stat.into()), ..LineOptions::default() };
        layout.graph(
            "Response time at the load balancer (s)",
            "p99",
            60,
            vec![
                line(ELB, "TargetResponseTime", &dims, stat("p50")),
                line(ELB, "TargetResponseTime", &dims, stat("p99")),
            ],
            None,
        );
        layout.graph(
            "Errors by status",
            "Sum",
            60,
            vec![
                line(ELB, "HTTPCode_Target_4XX_Count", &dims, labelled("4xx from the producers")),
                line(ELB, "HTTPCode_Target_5XX_Count", &dims, labelled("5xx from the producers")),
                line(ELB, "HTTPCode_ELB_5XX_Count", &dims, labelled("5xx from the load balancer")),
                line(services::NAMESPACE, services::PRODUCER_UPLOADS_SHED_TOTAL, &producer, labelled("shed (429/503)")),
            ],
            None,
        );
    }
    let cluster = target.cluster.as_str();
    // Per topic at PER_TOPIC_PER_BROKER; summed over the brokers that lead its partitions.
    let per_topic = target
        .profile
        .topics
        .iter()
        .enumerate()
        .map(|(index, topic)| MetricLine::Expression {
            expression: format!(
                "SUM(SEARCH('{{{KAFKA},\"{CLUSTER_NAME}\",\"{BROKER_ID}\",{TOPIC}}} MetricName=\"MessagesInPerSec\" \"{CLUSTER_NAME}\"=\"{cluster}\" {TOPIC}=\"{}\"', 'Average', 60))",
                topic.name
            ),
            label: topic.name.clone(),
            id: format!("t{}", index + 1),
        })
        .collect();
    layout.graph("Messages in per topic (per second)", "Average", 60, per_topic, None);
    let mut lag = Vec::new();
    for role in target.profile.roles.iter().filter(|role| role.group.is_some()) {
        let Some(group) = &role.group else { continue };
        let ids: Vec<String> =
            (1..=role.topics.len()).map(|i| format!("{}{i}", role.name.as_str().replace('-', "_"))).collect();
        for (topic, id) in role.topics.iter().zip(&ids) {
            let dims = [(CLUSTER_NAME, cluster), (CONSUMER_GROUP, group.as_str()), (TOPIC, topic.as_str())];
            lag.push(line(KAFKA, "SumOffsetLag", &dims, hidden(id.clone())));
        }
        lag.push(MetricLine::Expression {
            expression: ids.join(" + "),
            label: group.clone(),
            id: format!("{}_lag", role.name.as_str().replace('-', "_")),
        });
    }
    layout.graph("Lag per consumer group (messages)", "Maximum", 60, lag, None);
    let consumers: Vec<RoleName> =
        target.profile.roles.iter().filter(|role| role.group.is_some()).map(|role| role.name).collect();
    let per_consumer = |metric: &str| -> Vec<MetricLine> {
        consumers
            .iter()
            .map(|role| line(services::NAMESPACE, metric, &role_dims(*role), labelled(role.as_str())))
            .collect()
    };
    layout.graph("Rows written (per minute)", "Sum", 60, per_consumer(services::CONSUMER_ROWS_WRITTEN_TOTAL), None);
    layout.graph("Dead letters (per 5 minutes)", "Sum", 300, per_consumer(services::CONSUMER_DLQ_TOTAL), None);
    for (role, group, min, max) in &target.groups {
        let annotations = Annotations {
            horizontal: vec![
                Annotation { label: "ladder min".into(), value: *min },
                Annotation { label: "ladder max".into(), value: *max },
            ],
        };
        layout.graph(
            &format!("{role} instances in service"),
            "Average",
            60,
            vec![line(
                "AWS/AutoScaling",
                "GroupInServiceInstances",
                &[("AutoScalingGroupName", group.as_str())],
                labelled("in service"),
            )],
            Some(annotations),
        );
    }
    Dashboard { widgets: layout.widgets }
}
