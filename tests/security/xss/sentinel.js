// Runs first in every frame of every page the battery opens. A payload that
// runs calls __xss(N), or a dialog; either is recorded and reported. Every
// Content Security Policy violation is kept too, with the element it was
// about: an injection the policy stopped.
(() => {
  const report = (what) => {
    (window.__xssCalls = window.__xssCalls || []).push(what);
    try {
      window.__xssReport(what);
    } catch (error) {
      // A frame the report binding does not reach still keeps __xssCalls.
    }
  };
  Object.defineProperty(window, "__xss", {
    value: (n) => report(`__xss(${n})`),
    writable: false,
    configurable: false,
  });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (...args) => report(`${name}(${args.join(", ")})`);
  }
  document.addEventListener("securitypolicyviolation", (event) => {
    const element = (event.target && event.target.outerHTML) || "";
    (window.__cspViolations = window.__cspViolations || []).push(
      `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
        `in ${element.slice(0, 300)}`,
    );
  });
})();
