// The one-tag embed: <script type="module" src="https://your.cdn/twin/twin.js"></script> plus
// <div id="twin-chat" data-endpoint="https://your-worker.example"></div>. Loads the widget's wasm from
// beside this file and mounts it into every #twin-chat / [data-twin-chat] element.
import init from "./twin-widget.js";
await init({ module_or_path: new URL("./twin-widget_bg.wasm", import.meta.url) });
