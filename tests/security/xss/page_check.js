// Reads a page once it has loaded: what ran, what the policy stopped, and
// anything in the live DOM (<template> contents included) a payload could
// have injected. The rules are markup.py's, passed in.
async (rules) => {
  // The next frame (when autofocus happens) and the tasks queued before it
  // (toggle events) run first.
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const forbidden = new Set(rules.forbidden);
  const urls = new Set(rules.urls);
  const payloadStyle = new RegExp(rules.payloadStyle, "i");
  const own = (url) =>
    rules.own.some((path) => (url || "").startsWith(location.origin + path));
  // As markup.py's active_url: the URL standard drops tabs and line breaks
  // anywhere, C0 controls and spaces only at either end.
  const active = (value) =>
    /^(javascript|vbscript|data):/i.test(
      (value || "").replace(/[\t\n\r]/g, "").replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, ""),
    );
  const injected = [];
  const visit = (root) => {
    for (const element of root.querySelectorAll("*")) {
      const tag = element.localName;
      const say = (what) => injected.push(`<${tag}> ${what}`);
      const src = element.getAttribute("src");
      if (tag === "script" && !(src && own(element.src))) say(`script src=${src}`);
      if (forbidden.has(tag)) say("element");
      if (tag === "meta" && element.hasAttribute("http-equiv")) say("http-equiv");
      if (tag === "link" && !own(element.href)) say(`link href=${element.href}`);
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        const value = attribute.value;
        if (name.startsWith("on") || name === "srcdoc" || name === "formaction") {
          say(`${name}=${value}`);
        } else if (name === "style" && payloadStyle.test(value)) {
          say(`${name}=${value}`);
        } else if ((urls.has(name) || name.endsWith(":href")) && active(value)) {
          say(`${name}=${value}`);
        }
      }
      if (tag === "template") visit(element.content);
    }
  };
  visit(document);
  return {
    calls: window.__xssCalls || [],
    violations: window.__cspViolations || [],
    injected,
  };
}
