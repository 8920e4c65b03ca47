# Independent count of what a JATS <body> holds, straight from the XML.
import re, sys, xml.etree.ElementTree as ET
SKIP = {'fig','table-wrap','fig-group','table-wrap-group','boxed-text','disp-formula','disp-formula-group',
        'supplementary-material','table','table-wrap-foot','fn','alternatives'}
def load(f):
    s = open(f, encoding='utf-8').read()
    s = re.sub(r'<!DOCTYPE[^>]*>', '', s)
    s = re.sub(r'&(?!amp;|lt;|gt;|quot;|apos;|#)(\w+);', ' ', s)
    s = re.sub(r'\sxmlns(:\w+)?="[^"]*"', '', s)
    s = re.sub(r'<(/?)\w+:', r'<\1', s); s = re.sub(r'\s\w+:(\w+)=', r' \1=', s)
    return ET.fromstring(s)
def text(e):
    out = [e.text or '']
    for k in e:
        if k.tag not in SKIP: out.append(text(k))
        out.append(k.tail or '')
    return ''.join(out)
def xrefs(e):
    # bibr xrefs in reading order, not inside skipped elements
    for k in e:
        if k.tag in SKIP: continue
        if k.tag == 'xref' and k.get('ref-type') == 'bibr': yield k
        else: yield from xrefs(k)
def refmap(root):
    refs = [r for rl in root.find('back').iter('ref-list') for r in rl.iter('ref')]
    labels = []
    for r in refs:
        l = r.find('label'); m = re.match(r'^\[?\(?(\d{1,6})[.\])]?$', (l.text or '').strip()) if l is not None else None
        labels.append(int(m.group(1)) if m else 0)
    printed = all(labels) and len(set(labels)) == len(labels)
    return {r.get('id'): (labels[i] if printed else i + 1) for i, r in enumerate(refs)}
def cites(e, ids):
    xs = list(xrefs(e)); got = set(); prev = None
    for x in xs:
        ns = [ids[i] for i in (x.get('rid') or '').split() if i in ids]
        xt = ''.join(x.itertext())
        if prev is not None and len(ns) == 1 and re.fullmatch(r'\s*[\])]?\s*[–—‒-]\s*[\[(]?\s*', prev[0].tail or '') \
           and re.fullmatch(r'\s*[\[(]?\s*\d+\s*[\])]?\s*', prev[1]) and re.fullmatch(r'\s*[\[(]?\s*\d+\s*[\])]?\s*', xt) and prev[2]:
            got.update(range(prev[2][-1] + 1, ns[0]))
        got.update(ns); prev = (x, xt, ns)
    return got
root = load(sys.argv[1]); ids = refmap(root); body = root.find('body')
secs = []
def walk(e):
    for k in e:
        if k.tag == 'sec': secs.append(k); walk(k)
walk(body)
paras = []
for c in [body] + secs:
    for k in c:
        if k.tag == 'p' and text(k).strip(): paras.append(k)
        elif k.tag == 'disp-quote' and text(k).strip(): paras.append(k)
        elif k.tag in ('list', 'def-list') and text(k).strip(): paras.append(k)
caps = [f for f in body.iter() if f.tag in ('fig', 'table-wrap') and f.find('caption') is not None and text(f.find('caption')).strip()]
links = sum(len(cites(p, ids)) for p in paras)
allc = set().union(*[cites(p, ids) for p in paras], *[cites(f.find('caption'), ids) for f in caps])
nx = sum(1 for p in paras for _ in xrefs(p))
print(f'{sys.argv[1].split("/")[-1]}: sections={len(secs)} paragraphs={len(paras)} captions={len(caps)} bibr_xrefs_in_paragraphs={nx} paragraph_cite_links={links} distinct_cited={len(allc)}')
