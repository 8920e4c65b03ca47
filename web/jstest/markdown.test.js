// Tests of chatpaper.js's pure functions (Markdown, citations, links),
// run under node by web/js_test.go: `node web/jstest/markdown.test.js`.
'use strict';
const assert = require('assert');
const path = require('path');
const { ChatPaper } = require(path.join(__dirname, '..', 'static', 'chatpaper.js'));
const md = ChatPaper.parseMarkdown;

// A tiny DOM: enough for buildMarkdown, and it records every attribute
// set, so a test can show no event handler or style attribute appears.
function fakeDoc() {
  const attrs = [];
  function el(tag) {
    return {
      tag, children: [], attrs: {}, className: '',
      appendChild(c) { this.children.push(c); return c; },
      setAttribute(k, v) { attrs.push(k); this.attrs[k] = v; },
      set textContent(v) { this.children = [{ text: String(v) }]; },
      get textContent() { return this.children.map(c => c.text !== undefined ? c.text : c.textContent).join(''); },
    };
  }
  return { attrs, createElement: el, createTextNode: t => ({ text: t }) };
}
function html(node) {
  if (node.text !== undefined) return node.text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const a = Object.keys(node.attrs).map(k => ` ${k}="${node.attrs[k]}"`).join('');
  return `<${node.tag}${a}>${node.children.map(html).join('')}</${node.tag}>`;
}
function render(text) {
  const doc = fakeDoc();
  const root = doc.createElement('div');
  ChatPaper.buildMarkdown(doc, root, text, (d, t, parent) => parent.appendChild(d.createTextNode(t)));
  return { out: root.children.map(html).join(''), attrs: doc.attrs };
}

const cases = [
  // [name, markdown, expected rendering]
  ['plain paragraph', 'Hello world.', '<p>Hello world.</p>'],
  ['bold and italic', 'A **bold** and *it* and _it2_ word', '<p>A <strong>bold</strong> and <em>it</em> and <em>it2</em> word</p>'],
  ['snake_case is not emphasis', 'use miR_21 and a_b_c', '<p>use miR_21 and a_b_c</p>'],
  ['lone star is text', '5 * 3 = 15', '<p>5 * 3 = 15</p>'],
  ['inline code keeps marks', 'run `a **b** <i>` now', '<p>run <code>a **b** <i></code> now</p>'.replace('<i>', '&lt;i>')],
  ['unordered list', '- one\n- **two**\n* three', '<ul><li>one</li><li><strong>two</strong></li><li>three</li></ul>'],
  ['ordered list with start', '3. c\n4. d', '<ol start="3"><li>c</li><li>d</li></ol>'],
  ['list then paragraph', '- a\n\nafter', '<ul><li>a</li></ul><p>after</p>'],
  ['continuation line', '- a\n  more', '<ul><li>a more</li></ul>'],
  ['fenced code', '```js\nx = "<b>";\n```\nend', '<pre><code>x = "&lt;b>";</code></pre><p>end</p>'],
  ['unclosed fence while streaming', '```\npartial', '<pre><code>partial</code></pre>'],
  ['heading', '## Results', '<p class="cp-md-h">Results</p>'.replace(' class="cp-md-h"', '')],
  ['line breaks', 'a\nb', '<p>a<br></br>b</p>'],
  ['blockquote', '> quoted', '<blockquote>quoted</blockquote>'],
  ['raw html is text', '<img src=x onerror=alert(1)><script>alert(2)</script>', '<p>&lt;img src=x onerror=alert(1)>&lt;script>alert(2)&lt;/script></p>'],
  ['https link', '[site](https://example.org/a?b=1)', '<p><a href="https://example.org/a?b=1" target="_blank" rel="noopener noreferrer nofollow">site</a></p>'],
  ['javascript link is text', '[click](javascript:alert(1))', '<p>click</p>'],
  ['link with parentheses', '[w](https://en.wikipedia.org/wiki/A_(b))', '<p><a href="https://en.wikipedia.org/wiki/A_(b)" target="_blank" rel="noopener noreferrer nofollow">w</a></p>'],
  ['data link is text', '[x](data:text/html,hi)', '<p>x</p>'],
  ['relative link is text', '[x](/admin)', '<p>x</p>'],
  ['image is its alt text', '![a chart](https://example.org/c.png)', '<p>a chart</p>'],
  ['bare url', 'see https://doi.org/10.1/x.', '<p>see <a href="https://doi.org/10.1/x" target="_blank" rel="noopener noreferrer nofollow">https://doi.org/10.1/x</a>.</p>'],
  ['escaped marks', '\\*not em\\*', '<p>*not em*</p>'],
  ['unclosed bold while streaming', 'a **bo', '<p>a **bo</p>'],
  ['citation brackets stay text here', 'as shown [3, 5].', '<p>as shown [3, 5].</p>'],
  ['deep nesting is bounded', '*'.repeat(30) + 'x' + '*'.repeat(30), null],
];
let failed = 0;
for (const [name, input, want] of cases) {
  const { out, attrs } = render(input);
  const bad = attrs.filter(a => a !== 'href' && a !== 'target' && a !== 'rel' && a !== 'start');
  try {
    assert.deepStrictEqual(bad, [], 'only href, target, rel and start attributes are ever set');
    if (want !== null) assert.strictEqual(out.replace(/ class="[^"]*"/g, ''), want);
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}: ${e.message}\n  input: ${JSON.stringify(input)}\n  got:   ${out}\n  want:  ${want}`);
  }
}

// Links: only http(s) survive.
for (const [u, ok] of [['https://a.org', true], ['http://a.org/x', true], ['javascript:alert(1)', false], ['JAVASCRIPT:x', false],
  ['data:text/html,x', false], ['//evil.org', false], ['https://a.org/"onmouseover=x', false], [' https://a.org ', true], ['vbscript:x', false]]) {
  if (!!ChatPaper.safeHref(u) !== ok) { failed++; console.error(`FAIL safeHref(${u}) = ${ChatPaper.safeHref(u)}`); }
}

// Copying drops the marks but keeps link targets and list items.
assert.strictEqual(ChatPaper.plainMarkdown('**A** [b](https://b.org)\n\n- x\n- `y`'), 'A b (https://b.org/)\n\n- x\n- y');

// Citations: a closed bracket is a citation as soon as it is complete.
const segs = ChatPaper.parseCitations('see [2', () => true);
assert.strictEqual(segs.filter(s => s.type === 'cite').length, 0, 'an unclosed bracket is not a citation yet');
assert.strictEqual(ChatPaper.parseCitations('see [2]', () => true).filter(s => s.type === 'cite').length, 1);
assert.deepStrictEqual(ChatPaper.citedNumbers('[1–3] and [5]', () => true), [1, 2, 3, 5]);

// Random input never throws and never sets another attribute.
const alphabet = ['*', '_', '`', '[', ']', '(', ')', '!', '\n', ' ', 'a', '1', '#', '-', '>', '<', 'http://x.org', 'javascript:', '\\', '~~~', '```'];
let seed = 42;
const rnd = n => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
for (let k = 0; k < 3000; k++) {
  let s = '';
  for (let j = rnd(40); j > 0; j--) s += alphabet[rnd(alphabet.length)];
  try {
    const { attrs, out } = render(s);
    if (attrs.some(a => a !== 'href' && a !== 'target' && a !== 'rel' && a !== 'start')) throw new Error('bad attribute');
    if (/href="(?!https?:)/.test(out)) throw new Error('unsafe href ' + out);
  } catch (e) {
    failed++;
    console.error(`FAIL random input ${JSON.stringify(s)}: ${e.message}`);
    break;
  }
}

if (failed) { console.error(`${failed} failed`); process.exit(1); }
console.log('ok', cases.length, 'markdown cases');
