//! The wasm entry point. Standalone, it mounts the app on the page body. Loaded by
//! `allocscope-element.js` (which sets `globalThis.__allocscopeNoAutostart`), it only
//! provides `mount_view`, which the `<allocscope-view>` element calls for each instance.

#[cfg(feature = "csr")]
mod element {
    use allocscope::app::HostEvent;
    use allocscope::embed::{ElementApp, ElementProps};
    use wasm_bindgen::prelude::*;
    use yew::{AppHandle, Callback};

    fn attr(attrs: &JsValue, key: &str) -> String {
        js_sys::Reflect::get(attrs, &key.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
    }

    fn props(attrs: &JsValue, token: Option<String>, emit: &js_sys::Function) -> ElementProps {
        let emit = emit.clone();
        ElementProps {
            source: attr(attrs, "source"),
            allocation: attr(attrs, "allocation"),
            job: attr(attrs, "job"),
            namespace: attr(attrs, "namespace"),
            theme: attr(attrs, "theme"),
            app_url: attr(attrs, "app-url"),
            token,
            emit: Some(Callback::from(move |ev: HostEvent| {
                let detail = js_sys::Object::new();
                let kind = match ev {
                    HostEvent::Navigate { route } => {
                        let _ = js_sys::Reflect::set(&detail, &"route".into(), &route.into());
                        "allocscope-navigate"
                    }
                    HostEvent::Select { allocation } => {
                        let _ = js_sys::Reflect::set(&detail, &"allocation".into(), &allocation.into());
                        "allocscope-select"
                    }
                };
                let _ = emit.call2(&JsValue::NULL, &kind.into(), &detail);
            })),
        }
    }

    /// One mounted `<allocscope-view>`.
    #[wasm_bindgen]
    pub struct AllocscopeView {
        handle: Option<AppHandle<ElementApp>>,
        attrs: JsValue,
        token: Option<String>,
        emit: js_sys::Function,
    }

    /// Mount a view into `root` (inside the element's shadow root). `attrs` holds the
    /// element's attributes; `emit(type, detail)` dispatches a CustomEvent on the element.
    #[wasm_bindgen]
    pub fn mount_view(root: web_sys::Element, attrs: JsValue, emit: js_sys::Function) -> AllocscopeView {
        let handle =
            yew::Renderer::<ElementApp>::with_root_and_props(root, props(&attrs, None, &emit)).render();
        AllocscopeView { handle: Some(handle), attrs, token: None, emit }
    }

    #[wasm_bindgen]
    impl AllocscopeView {
        /// The element's attributes changed.
        pub fn update(&mut self, attrs: JsValue) {
            self.attrs = attrs;
            self.rerender();
        }

        /// The `token` property was set (it is never an attribute).
        pub fn set_token(&mut self, token: Option<String>) {
            self.token = token.filter(|t| !t.is_empty());
            self.rerender();
        }

        /// The element was removed from the page.
        pub fn destroy(&mut self) {
            if let Some(h) = self.handle.take() {
                h.destroy();
            }
        }

        fn rerender(&mut self) {
            let p = props(&self.attrs, self.token.clone(), &self.emit);
            if let Some(h) = &mut self.handle {
                h.update(p);
            }
        }
    }
}

fn main() {
    #[cfg(feature = "csr")]
    {
        let no_autostart = js_sys::Reflect::get(&js_sys::global(), &"__allocscopeNoAutostart".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if !no_autostart {
            yew::Renderer::<allocscope::app::App>::new().render();
        }
    }
}
