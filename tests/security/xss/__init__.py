"""The XSS battery: a payload corpus written into every form people fill,
every page rendered in Chromium with a sentinel no payload may call."""
