//! Layering: a tier file over the layer it extends. Maps merge key by key,
//! scalars and lists from the upper layer replace the lower one.

use indexmap::IndexMap;

use super::schema::{
    AlertsLayer, DeadLetterLayer, EncryptionLayer, IndiaLayer, InstanceTypesLayer, KafkaLayer, ProfileLayer, RoleLayer,
    SloLayer, TopicDefaultsLayer, TopicLayer,
};

pub trait Overlay {
    /// `self` is the lower layer, `upper` wins where it sets a value.
    fn overlay(self, upper: Self) -> Self;
}

impl<T: Overlay> Overlay for Option<T> {
    fn overlay(self, upper: Self) -> Self {
        match (self, upper) {
            (Some(lower), Some(upper)) => Some(lower.overlay(upper)),
            (lower, None) => lower,
            (None, upper) => upper,
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Overlay> Overlay for IndexMap<K, V> {
    /// Keeps the lower layer's order and appends keys only the upper has, so
    /// the base decides how topics and roles are listed.
    fn overlay(mut self, upper: Self) -> Self {
        for (key, upper_value) in upper {
            match self.shift_remove_full(&key) {
                Some((index, _, lower_value)) => {
                    self.insert(key, lower_value.overlay(upper_value));
                    let last = self.len() - 1;
                    self.move_index(last, index);
                }
                None => {
                    self.insert(key, upper_value);
                }
            }
        }
        self
    }
}

/// For leaves: the upper layer replaces.
macro_rules! replace_leaf {
    ($($ty:ty),*) => {$(
        impl Overlay for $ty {
            fn overlay(self, upper: Self) -> Self { upper }
        }
    )*};
}
replace_leaf!(
    String,
    u16,
    u32,
    u64,
    f64,
    bool,
    Vec<String>,
    super::schema::ConfigValue,
    super::model::ClientBroker,
    super::model::EnhancedMonitoring
);

impl Overlay for ProfileLayer {
    fn overlay(self, upper: Self) -> Self {
        ProfileLayer {
            // `extends` is consumed by the loader and never inherited.
            extends: upper.extends,
            dau: self.dau.overlay(upper.dau),
            description: self.description.overlay(upper.description),
            kafka: self.kafka.overlay(upper.kafka),
            topic_defaults: self.topic_defaults.overlay(upper.topic_defaults),
            topics: self.topics.overlay(upper.topics),
            roles: self.roles.overlay(upper.roles),
            india: self.india.overlay(upper.india),
            dead_letter: self.dead_letter.overlay(upper.dead_letter),
            slo: self.slo.overlay(upper.slo),
            alerts: self.alerts.overlay(upper.alerts),
        }
    }
}

impl Overlay for KafkaLayer {
    fn overlay(self, upper: Self) -> Self {
        KafkaLayer {
            version: self.version.overlay(upper.version),
            brokers: self.brokers.overlay(upper.brokers),
            zones: self.zones.overlay(upper.zones),
            broker_type: self.broker_type.overlay(upper.broker_type),
            ebs_volume_gib: self.ebs_volume_gib.overlay(upper.ebs_volume_gib),
            encryption_in_transit: self.encryption_in_transit.overlay(upper.encryption_in_transit),
            enhanced_monitoring: self.enhanced_monitoring.overlay(upper.enhanced_monitoring),
        }
    }
}

impl Overlay for EncryptionLayer {
    fn overlay(self, upper: Self) -> Self {
        EncryptionLayer {
            client_broker: self.client_broker.overlay(upper.client_broker),
            in_cluster: self.in_cluster.overlay(upper.in_cluster),
        }
    }
}

impl Overlay for TopicDefaultsLayer {
    fn overlay(self, upper: Self) -> Self {
        TopicDefaultsLayer {
            replication_factor: self.replication_factor.overlay(upper.replication_factor),
            configs: self.configs.overlay(upper.configs),
        }
    }
}

impl Overlay for TopicLayer {
    fn overlay(self, upper: Self) -> Self {
        TopicLayer {
            partitions: self.partitions.overlay(upper.partitions),
            replication_factor: self.replication_factor.overlay(upper.replication_factor),
            configs: self.configs.overlay(upper.configs),
        }
    }
}

impl Overlay for RoleLayer {
    fn overlay(self, upper: Self) -> Self {
        RoleLayer {
            min: self.min.overlay(upper.min),
            max: self.max.overlay(upper.max),
            group: self.group.overlay(upper.group),
            topics: self.topics.overlay(upper.topics),
            lag_per_instance: self.lag_per_instance.overlay(upper.lag_per_instance),
            instance_types: self.instance_types.overlay(upper.instance_types),
        }
    }
}

impl Overlay for InstanceTypesLayer {
    fn overlay(self, upper: Self) -> Self {
        InstanceTypesLayer { dev: self.dev.overlay(upper.dev), production: self.production.overlay(upper.production) }
    }
}

impl Overlay for DeadLetterLayer {
    fn overlay(self, upper: Self) -> Self {
        DeadLetterLayer {
            suffix: self.suffix.overlay(upper.suffix),
            partitions: self.partitions.overlay(upper.partitions),
            configs: self.configs.overlay(upper.configs),
        }
    }
}

impl Overlay for SloLayer {
    fn overlay(self, upper: Self) -> Self {
        SloLayer {
            upload_p99_ms: self.upload_p99_ms.overlay(upper.upload_p99_ms),
            upload_p999_ms: self.upload_p999_ms.overlay(upper.upload_p999_ms),
            max_error_percent: self.max_error_percent.overlay(upper.max_error_percent),
            lag_drain_seconds: self.lag_drain_seconds.overlay(upper.lag_drain_seconds),
        }
    }
}

impl Overlay for AlertsLayer {
    fn overlay(self, upper: Self) -> Self {
        AlertsLayer {
            consumer_lag_warning: self.consumer_lag_warning.overlay(upper.consumer_lag_warning),
            consumer_lag_critical: self.consumer_lag_critical.overlay(upper.consumer_lag_critical),
            consumer_lag_for_seconds: self.consumer_lag_for_seconds.overlay(upper.consumer_lag_for_seconds),
            upload_throttled_percent: self.upload_throttled_percent.overlay(upper.upload_throttled_percent),
            upload_error_percent: self.upload_error_percent.overlay(upper.upload_error_percent),
            upload_p99_ms: self.upload_p99_ms.overlay(upper.upload_p99_ms),
            upload_for_seconds: self.upload_for_seconds.overlay(upper.upload_for_seconds),
            dead_letters_per_5m: self.dead_letters_per_5m.overlay(upper.dead_letters_per_5m),
            instance_down_for_seconds: self.instance_down_for_seconds.overlay(upper.instance_down_for_seconds),
            consumer_lag_max_seconds: self.consumer_lag_max_seconds.overlay(upper.consumer_lag_max_seconds),
            broker_disk_used_percent: self.broker_disk_used_percent.overlay(upper.broker_disk_used_percent),
            broker_cpu_percent: self.broker_cpu_percent.overlay(upper.broker_cpu_percent),
        }
    }
}

impl Overlay for IndiaLayer {
    fn overlay(self, upper: Self) -> Self {
        IndiaLayer { excluded_topics: self.excluded_topics.overlay(upper.excluded_topics) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(yaml: &str) -> ProfileLayer {
        serde_norway::from_str(yaml).unwrap_or_else(|err| panic!("test yaml: {err}"))
    }

    #[test]
    fn upper_scalars_win_and_maps_merge_per_key() {
        let base = layer(
            "kafka: {brokers: 3, zones: 3}\ntopic_defaults: {configs: {retention.ms: 1, cleanup.policy: delete}}\ntopics: {a: {}, b: {partitions: 1}}",
        );
        let tier = layer(
            "kafka: {brokers: 6}\ntopic_defaults: {configs: {retention.ms: 2}}\ntopics: {b: {partitions: 4}, c: {}}",
        );
        let merged = base.overlay(tier);
        let kafka = merged.kafka.unwrap_or_default();
        assert_eq!(kafka.brokers, Some(6));
        assert_eq!(kafka.zones, Some(3));
        let configs = merged.topic_defaults.and_then(|d| d.configs).unwrap_or_default();
        assert_eq!(configs.get("retention.ms").map(|v| v.0.as_str()), Some("2"));
        assert_eq!(configs.get("cleanup.policy").map(|v| v.0.as_str()), Some("delete"));
        let topics = merged.topics.unwrap_or_default();
        let names: Vec<&str> = topics.keys().map(String::as_str).collect();
        assert_eq!(names, ["a", "b", "c"], "base order first, new keys appended");
        assert_eq!(topics.get("b").and_then(|t| t.partitions), Some(4));
    }

    #[test]
    fn extends_is_not_inherited() {
        let merged = layer("extends: x.yaml").overlay(layer("dau: 1"));
        assert_eq!(merged.extends, None);
    }
}
