//! Consul's catalog of services (`/v1/catalog/service/<name>`): a list of service instances.
//! A connect proxy names the service it fronts (`ServiceProxy.DestinationServiceName`) and the
//! upstreams that service calls (`ServiceProxy.Upstreams[].DestinationName`); each upstream of
//! each proxy instance is one record with a count of 1, so the summed count of a pair is the
//! number of proxy instances that declare it. Services that are not proxies carry an empty
//! `ServiceProxy` and are skipped, as are upstreams that are prepared queries (not services).

use serde::Deserialize;

use super::{check_name, Name, ParseError, Record};

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "ServiceProxy", default)]
    service_proxy: Option<Proxy>,
}

#[derive(Deserialize)]
struct Proxy {
    #[serde(rename = "DestinationServiceName", default)]
    destination_service_name: Option<OptName>,
    #[serde(rename = "Upstreams", default)]
    upstreams: Option<Vec<Upstream>>,
}

#[derive(Deserialize)]
struct Upstream {
    #[serde(rename = "DestinationName")]
    destination_name: Name,
    #[serde(rename = "DestinationType", default)]
    destination_type: Option<String>,
}

/// A name that may be empty (Consul writes `""` for "not a proxy").
struct OptName(Option<String>);

impl<'de> Deserialize<'de> for OptName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) if !s.trim().is_empty() => check_name(&s, "service")
                .map(|n| OptName(Some(n)))
                .map_err(serde::de::Error::custom),
            _ => Ok(OptName(None)),
        }
    }
}

pub(super) fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    let entries: Vec<Entry> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<Entry>(text).map(|e| vec![e])
    }
    .map_err(|e| ParseError::json(&e))?;
    let mut out = Vec::new();
    for e in entries {
        let Some(proxy) = e.service_proxy else {
            continue;
        };
        let Some(caller) = proxy.destination_service_name.and_then(|n| n.0) else {
            continue;
        };
        for u in proxy.upstreams.unwrap_or_default() {
            if u.destination_type
                .as_deref()
                .is_some_and(|t| t == "prepared_query")
            {
                continue;
            }
            out.push(Record {
                caller: caller.clone(),
                callee: u.destination_name.0,
                api: None,
                count: 1,
                last_seen: None,
                line: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_and_their_upstreams() {
        let text = r#"[
          {"ServiceName": "web-sidecar-proxy", "ServiceKind": "connect-proxy",
           "ServiceProxy": {"DestinationServiceName": "web",
                            "Upstreams": [{"DestinationName": "db", "LocalBindPort": 9191},
                                          {"DestinationType": "prepared_query", "DestinationName": "geo-db"}]}},
          {"ServiceName": "web", "ServiceKind": "",
           "ServiceProxy": {"DestinationServiceName": "", "Upstreams": null}},
          {"ServiceName": "legacy"}
        ]"#;
        let r = parse(text).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].caller.as_str(), r[0].callee.as_str()), ("web", "db"));
    }

    #[test]
    fn bad_upstreams_are_located() {
        let text = "[{\"ServiceProxy\": {\"DestinationServiceName\": \"web\",\n \"Upstreams\": [{\"LocalBindPort\": 1}]}}]";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("DestinationName"), "{}", e.message);
    }
}
