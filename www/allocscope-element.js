// <allocscope-view>: allocscope as a custom element for ops portals.
//
//   <script type="module" src="https://tools.example.com/allocscope/allocscope-element.js"></script>
//   <allocscope-view source="https://nomad.example.com:4646" allocation="..." theme="dark"></allocscope-view>
//
// Attributes: source, allocation, job, namespace, theme (light|dark|auto), app-url (where
// the standalone app lives, for the "link to this view" button; by default the folder this
// script was loaded from, which holds the app's index.html); observed at runtime. The ACL token is a property (element.token = "..."), never an attribute.
// Events (bubbling, composed): allocscope-navigate {route}, allocscope-select {allocation}.
// Each element renders in an open shadow root with the app's own stylesheet: portal CSS does
// not reach in and allocscope's CSS does not leak out. The host page's URL never changes.
globalThis.__allocscopeNoAutostart = true;
import init, { mount_view } from './allocscope-app.js';

const here = import.meta.url;
const ready = init({ module_or_path: new URL('./allocscope-app_bg.wasm', here) });
const stylesheet = new URL('./app.css', here).href;
const demoSource = new URL('./demo/', here).href;
const appUrl = new URL('./', here).href;
const ATTRIBUTES = ['source', 'allocation', 'job', 'namespace', 'theme', 'app-url'];

class AllocscopeView extends HTMLElement {
  static observedAttributes = ATTRIBUTES;
  #view = null;
  #token = null;
  #generation = 0;

  get token() {
    return this.#token === null ? null : '(set)';
  }

  set token(value) {
    this.#token = value ? String(value) : null;
    this.#view?.set_token(this.#token);
  }

  #attributes() {
    const a = {};
    for (const name of ATTRIBUTES) a[name] = this.getAttribute(name) ?? '';
    if (!a.source) a.source = demoSource;
    a['app-url'] = a['app-url'] ? new URL(a['app-url'], document.baseURI).href : appUrl;
    return a;
  }

  async connectedCallback() {
    const generation = ++this.#generation;
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    root.replaceChildren();
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = stylesheet;
    const mountPoint = document.createElement('div');
    mountPoint.className = 'allocscope-mount';
    root.append(link, mountPoint);
    await ready;
    // Removed (or re-added) while the module was loading.
    if (!this.isConnected || generation !== this.#generation) return;
    this.#view = mount_view(mountPoint, this.#attributes(), (type, detail) => {
      this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    });
    if (this.#token) this.#view.set_token(this.#token);
  }

  disconnectedCallback() {
    this.#generation++;
    this.#view?.destroy();
    this.#view?.free();
    this.#view = null;
  }

  attributeChangedCallback() {
    this.#view?.update(this.#attributes());
  }
}

if (!customElements.get('allocscope-view')) customElements.define('allocscope-view', AllocscopeView);
