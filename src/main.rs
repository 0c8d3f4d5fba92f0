//! The standalone app: mounts on the page body.

fn main() {
    #[cfg(feature = "csr")]
    yew::Renderer::<allocscope::app::App>::new().render();
}
