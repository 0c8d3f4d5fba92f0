//! The scheduler's placement metrics for an allocation.

use allocscope_model::times::go_duration;
use allocscope_model::{short_id, AllocMetric};
use yew::prelude::*;

fn map_list(m: &std::collections::BTreeMap<String, i64>) -> Html {
    if m.is_empty() {
        return html! { <span class="muted">{"none"}</span> };
    }
    m.iter().map(|(k, v)| html! { <div><span class="mono">{ k.clone() }</span>{": "}{ *v }</div> }).collect()
}

pub fn placement(m: &AllocMetric) -> Html {
    let mut scores = m.score_meta_data.clone();
    allocscope_model::sort::sort_by(&mut scores, |a, b| b.norm_score.total_cmp(&a.norm_score));
    html! {
        <div class="placement">
            <dl class="kv">
                <dt>{"Nodes evaluated"}</dt><dd>{ m.nodes_evaluated }</dd>
                <dt>{"Nodes filtered"}</dt><dd>{ m.nodes_filtered }</dd>
                <dt>{"Nodes exhausted"}</dt><dd>{ m.nodes_exhausted }</dd>
                if m.nodes_in_pool > 0 { <dt>{"Nodes in pool"}</dt><dd>{ m.nodes_in_pool }{ if m.node_pool.is_empty() { String::new() } else { format!(" ({})", m.node_pool) } }</dd> }
                <dt>{"Available per datacenter"}</dt><dd>{ map_list(&m.nodes_available) }</dd>
                <dt>{"Filtered by constraint"}</dt><dd>{ map_list(&m.constraint_filtered) }</dd>
                <dt>{"Filtered by class"}</dt><dd>{ map_list(&m.class_filtered) }</dd>
                <dt>{"Exhausted dimensions"}</dt><dd>{ map_list(&m.dimension_exhausted) }</dd>
                if !m.quota_exhausted.is_empty() { <dt>{"Quota exhausted"}</dt><dd>{ m.quota_exhausted.join(", ") }</dd> }
                <dt>{"Scheduling time"}</dt><dd>{ go_duration(m.allocation_time) }</dd>
            </dl>
            if !scores.is_empty() {
                <table class="scores">
                    <thead><tr><th>{"Node"}</th><th>{"Score"}</th><th>{"Components"}</th></tr></thead>
                    <tbody>
                    { for scores.iter().map(|s| html! {
                        <tr>
                            <td class="mono" title={s.node_id.clone()}>{ short_id(&s.node_id).to_owned() }</td>
                            <td class="num">{ format!("{:.3}", s.norm_score) }</td>
                            <td>{ s.scores.iter().map(|(k, v)| format!("{k} {v:.3}")).collect::<Vec<_>>().join(", ") }</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            }
        </div>
    }
}
