//! Allocated resources per task and shared (0.9+), or the legacy resources on older data.

use allocscope_model::Allocation;
use yew::prelude::*;

pub fn resources_view(a: &Allocation) -> Html {
    if let Some(r) = &a.allocated_resources {
        let (cpu, mem, disk) = r.totals();
        let ports = r.shared.ports.iter().map(|p| {
            let host = if p.host_ip.is_empty() { String::new() } else { format!("{}:", p.host_ip) };
            let to = if p.to != 0 { format!(" → {}", p.to) } else { String::new() };
            html! { <li><span class="mono">{ format!("{} {host}{}{to}", p.label, p.value) }</span></li> }
        });
        return html! {
            <div class="resources">
                <p>{ format!("Total: {cpu} MHz CPU, {mem} MB memory, {disk} MB disk") }</p>
                <table class="kv-table">
                    <thead><tr><th>{"Task"}</th><th>{"CPU (MHz)"}</th><th>{"Cores"}</th><th>{"Memory (MB)"}</th><th>{"Memory max (MB)"}</th></tr></thead>
                    <tbody>
                    { for r.tasks.iter().map(|(name, t)| html! {
                        <tr key={name.clone()}>
                            <td>{ name.clone() }</td>
                            <td class="num">{ t.cpu.cpu_shares }</td>
                            <td class="num">{ if t.cpu.reserved_cores.is_empty() { "—".to_owned() } else { format!("{:?}", t.cpu.reserved_cores) } }</td>
                            <td class="num">{ t.memory.memory_mb }</td>
                            <td class="num">{ if t.memory.memory_max_mb > 0 { t.memory.memory_max_mb.to_string() } else { "—".to_owned() } }</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
                if !r.shared.ports.is_empty() {
                    <p>{"Ports"}</p>
                    <ul class="ports">{ for ports }</ul>
                }
            </div>
        };
    }
    match &a.resources {
        Some(r) => html! {
            <div class="resources legacy">
                <p class="muted">{"Legacy resources (this data predates allocated resources, Nomad 0.9)."}</p>
                <p>{ format!("{} MHz CPU, {} MB memory, {} MB disk", r.cpu, r.memory_mb, r.disk_mb) }</p>
                <table class="kv-table">
                    <thead><tr><th>{"Task"}</th><th>{"CPU (MHz)"}</th><th>{"Memory (MB)"}</th></tr></thead>
                    <tbody>
                    { for a.task_resources.iter().map(|(name, t)| html! {
                        <tr key={name.clone()}><td>{ name.clone() }</td><td class="num">{ t.cpu }</td><td class="num">{ t.memory_mb }</td></tr>
                    }) }
                    </tbody>
                </table>
            </div>
        },
        None => {
            html! { <p class="empty">{"The source did not include resources (list entries carry none)."}</p> }
        }
    }
}
