/*
 * ChatPaper widget loader. GET /widget.js serves chatpaper.js followed by
 * this file, with CHATPAPER_CSS defined as the text of chat.css, so one
 * script tag on a journal page is enough:
 *
 *   <script src="https://chat.example.org/widget.js" data-paper="ID"
 *           data-lang="zh_CN" async></script>
 *
 * Optional attributes: data-key (a site key, when the server requires one)
 * and data-target (a CSS selector of the element to put the box in;
 * default: right after the script tag). The box lives in an open shadow
 * root, so the page's CSS does not reach it and its CSS does not leak out.
 */
(function (global, CSS) {
  'use strict';
  var doc = global.document;
  if (!doc || !global.ChatPaper) return;

  // document.currentScript is this tag while the script first runs, async
  // or not; the query is a fallback for loaders that inject it otherwise.
  var script = doc.currentScript;
  if (!script || !/\/widget\.js(?:[?#]|$)/.test(script.src || '')) {
    script = null;
    var tags = doc.querySelectorAll('script[src$="widget.js"], script[src*="widget.js?"]');
    for (var i = 0; i < tags.length; i++) {
      if (!tags[i].hasAttribute('data-chatpaper-mounted')) { script = tags[i]; break; }
    }
  }
  if (!script || script.hasAttribute('data-chatpaper-mounted')) return;
  script.setAttribute('data-chatpaper-mounted', '');

  // The API lives where the script came from, not on the journal's host.
  var src = new URL(script.src, doc.baseURI);
  var base = src.origin + src.pathname.replace(/\/widget\.js$/, '');

  function start() {
    var host = doc.createElement('div');
    host.className = 'chatpaper-widget';
    var targetSel = script.getAttribute('data-target');
    var target = targetSel ? doc.querySelector(targetSel) : null;
    if (target) target.appendChild(host);
    else if (script.parentNode && script.parentNode !== doc.head) script.parentNode.insertBefore(host, script.nextSibling);
    else doc.body.appendChild(host);

    var shadow = host.attachShadow({ mode: 'open' });
    // A constructed sheet is not an inline <style>, so a host page whose
    // CSP forbids inline styles still styles the box.
    var sheetText = ':host{all:initial;display:block;contain:content}\n' + CSS;
    var adopted = false;
    try {
      var sheet = new global.CSSStyleSheet();
      sheet.replaceSync(sheetText);
      shadow.adoptedStyleSheets = [sheet];
      adopted = true;
    } catch (e) { adopted = false; }
    if (!adopted) {
      var style = doc.createElement('style');
      style.textContent = sheetText;
      shadow.appendChild(style);
    }
    var root = doc.createElement('div');
    shadow.appendChild(root);
    host.chatpaper = global.ChatPaper.mount(root, {
      paper: script.getAttribute('data-paper') || '',
      lang: script.getAttribute('data-lang') || 'en_US',
      key: script.getAttribute('data-key') || '',
      base: base
    });
  }
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start);
  else start();
})(window, CHATPAPER_CSS);
