//! Who receives a routed message: the matching subscriptions of every live session, once
//! per client at its highest QoS, and one member per matching share group.

use super::*;

/// A share-group member: (offline, client id, subscription QoS).
type Member = (bool, String, QoS);

/// Who receives a message on `topic`, and at which subscription QoS: every client with a
/// matching ordinary subscription (once, at its highest QoS), plus one member per matching
/// share group, preferring connected members. Expired offline sessions receive nothing.
pub(super) fn recipients(
    state: &mut State,
    publisher: &str,
    topic: &str,
    now: i64,
) -> Vec<(String, QoS)> {
    let mut out = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<Member>> = BTreeMap::new();
    for (client_id, client) in &state.clients {
        if client.session.expired(now) {
            continue;
        }
        let mut best: Option<QoS> = None;
        for (filter, options) in client.session.subscriptions.values() {
            if !topic::matches(&filter.pattern, topic) {
                continue;
            }
            if let Some(group) = &filter.share {
                let key = (group.clone(), filter.pattern.clone());
                let member = (client.handle.is_none(), client_id.clone(), options.qos);
                groups.entry(key).or_default().push(member);
            } else if !(options.no_local && client_id == publisher) {
                best = Some(best.map_or(options.qos, |q| max_qos(q, options.qos)));
            }
        }
        if let Some(qos) = best {
            out.push((client_id.clone(), qos));
        }
    }
    for mut members in groups.into_values() {
        members.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let online = members.iter().filter(|(offline, _, _)| !offline).count();
        let pool = if online > 0 { online } else { members.len() };
        state.share_turn = state.share_turn.wrapping_add(1);
        let (_, client_id, qos) = members.swap_remove(state.share_turn % pool);
        out.push((client_id, qos));
    }
    out
}
