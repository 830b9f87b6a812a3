//! A sweep parameter's address in a scenario: a JSON path such as
//! `workload.txs_per_slot`, `cast[2].stake` or `cast[cartel-1].stake` (a cast member by
//! name), set on the scenario's JSON form before it is parsed and checked again.

use std::fmt;

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// An object's field.
    Field(String),
    /// An array's element by position.
    Index(usize),
    /// An array's element whose `name` is this.
    Named(String),
}

/// A parsed JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl JsonPath {
    /// Parses `a.b[3].c` or `cast[name].stake`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (field, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if field.is_empty() && steps.is_empty() || part.is_empty() {
                return Err(format!("`{text}` has an empty step"));
            }
            if !field.is_empty() {
                steps.push(Step::Field(field.to_string()));
            }
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .filter(|_| rest.starts_with('['))
                    .ok_or_else(|| format!("`{text}`: `{rest}` is not `[index]` or `[name]`"))?;
                let inner = &rest[1..close];
                if inner.is_empty() {
                    return Err(format!("`{text}` has an empty `[]`"));
                }
                steps.push(match inner.parse::<usize>() {
                    Ok(i) => Step::Index(i),
                    Err(_) => Step::Named(inner.to_string()),
                });
                rest = &rest[close + 1..];
            }
        }
        Ok(JsonPath {
            text: text.to_string(),
            steps,
        })
    }

    /// Replaces the value at this path in `root` with `value`. The path must name a
    /// value the scenario has (every field of a scenario is in its JSON form, defaults
    /// included), so a misspelt path is an error that lists what is there.
    pub fn set(&self, root: &mut Value, value: Value) -> Result<(), String> {
        let mut here = root;
        let mut walked = String::new();
        for step in &self.steps {
            here = match (step, here) {
                (Step::Field(f), Value::Object(map)) => {
                    let known: Vec<String> = map.keys().cloned().collect();
                    map.get_mut(f).ok_or_else(|| {
                        format!(
                            "`{self}`: {} has no field `{f}` (it has {})",
                            at(&walked),
                            known.join(", ")
                        )
                    })?
                }
                (Step::Index(i), Value::Array(items)) => {
                    let len = items.len();
                    items.get_mut(*i).ok_or_else(|| {
                        format!("`{self}`: {} has {len} elements, no [{i}]", at(&walked))
                    })?
                }
                (Step::Named(n), Value::Array(items)) => items
                    .iter_mut()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some(n.as_str()))
                    .ok_or_else(|| {
                        format!("`{self}`: {} has no member named `{n}`", at(&walked))
                    })?,
                (step, other) => {
                    return Err(format!(
                        "`{self}`: {} is {}, not {}",
                        at(&walked),
                        kind(other),
                        match step {
                            Step::Field(_) => "an object",
                            _ => "an array",
                        }
                    ))
                }
            };
            match step {
                Step::Field(f) if walked.is_empty() => walked.push_str(f),
                Step::Field(f) => {
                    walked.push('.');
                    walked.push_str(f);
                }
                Step::Index(i) => walked.push_str(&format!("[{i}]")),
                Step::Named(n) => walked.push_str(&format!("[{n}]")),
            }
        }
        if matches!(here, Value::Object(_) | Value::Array(_)) && !value.is_object() {
            return Err(format!(
                "`{self}` is {}: sweep one of its fields instead",
                kind(here)
            ));
        }
        *here = value;
        Ok(())
    }
}

fn at(walked: &str) -> String {
    if walked.is_empty() {
        "the scenario".into()
    } else {
        format!("`{walked}`")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"slots": 20, "workload": {"users": 4}, "cast": [{"name": "a", "stake": 1}, {"name": "b", "stake": 2}]})
    }

    #[test]
    fn paths_reach_fields_elements_and_members_by_name() {
        let mut v = doc();
        JsonPath::parse("workload.users")
            .unwrap()
            .set(&mut v, json!(9))
            .unwrap();
        JsonPath::parse("cast[1].stake")
            .unwrap()
            .set(&mut v, json!(5))
            .unwrap();
        JsonPath::parse("cast[a].stake")
            .unwrap()
            .set(&mut v, json!(7))
            .unwrap();
        assert_eq!(v["workload"]["users"], 9);
        assert_eq!(v["cast"][1]["stake"], 5);
        assert_eq!(v["cast"][0]["stake"], 7);
    }

    #[test]
    fn a_path_to_nothing_says_what_is_there() {
        let mut v = doc();
        let err =
            |p: &str, v: &mut Value| JsonPath::parse(p).unwrap().set(v, json!(1)).unwrap_err();
        let e = err("workload.userz", &mut v);
        assert!(
            e.contains("`workload` has no field `userz` (it has users)"),
            "{e}"
        );
        let e = err("cast[7].stake", &mut v);
        assert!(e.contains("has 2 elements, no [7]"), "{e}");
        let e = err("cast[zed].stake", &mut v);
        assert!(e.contains("no member named `zed`"), "{e}");
        let e = err("slots.x", &mut v);
        assert!(e.contains("`slots` is a number, not an object"), "{e}");
        let e = err("workload", &mut v);
        assert!(e.contains("is an object"), "{e}");
        for bad in ["", ".a", "a..b", "cast[", "cast[]", "cast[1]x"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }
}
