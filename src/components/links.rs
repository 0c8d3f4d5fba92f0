//! Links to other tools (logs, metrics), from the deployment's `config.json` templates.
//! Values are percent-encoded into the template and only http(s) or relative templates are
//! accepted, so data cannot turn a link into script.

use crate::app::ConfigContext;
use allocscope_model::config::{expand, LinkTemplate};
use allocscope_model::Allocation;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExternalLinksProps {
    pub alloc: Allocation,
    /// A task page's task; allocation pages show the allocation templates.
    #[prop_or_default]
    pub task: Option<String>,
}

#[component]
pub fn ExternalLinks(props: &ExternalLinksProps) -> Html {
    let config = use_context::<ConfigContext>().unwrap_or_default();
    let templates: &[LinkTemplate] =
        if props.task.is_some() { &config.0.links.task } else { &config.0.links.allocation };
    if templates.is_empty() {
        return html! {};
    }
    html! {
        <nav class="ext-links" aria-label="Links to other tools">
            { for templates.iter().map(|t| {
                let href = expand(&t.url, &props.alloc, props.task.as_deref());
                html! { <a {href} target="_blank" rel="noopener noreferrer">{ t.label.clone() }</a> }
            }) }
        </nav>
    }
}
