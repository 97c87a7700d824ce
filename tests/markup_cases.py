"""Hand-written Markdown and HTML cases for what the corpus sources lack, and the tree helper of
invariant 3: a translated output parses to the same tree as its source, apart from text."""

from __future__ import annotations

from html.parser import HTMLParser

MARKDOWN_CASES = {
    "table": "# Prezzi\n\n| Prodotto | Prezzo |\n|:---|---:|\n| Il pane **fresco** | 3 euro |\n| Il latte | 1 euro |\n",
    "footnotes": "Una frase con nota[^1] nel testo.\n\n[^1]: La nota spiega *tutto*.\n",
    "toml_front_matter": '+++\ntitle = "Il terremoto in Italia"\ndate = 2020-03-23\nlang = "it"\n+++\n\nIl testo comincia qui.\n',
    "yaml_front_matter": "---\nlayout: post\ntitle: Una giornata di sole\ndescription: \"Il racconto: una gita al mare\"\ntags: [mare, sole]\nlang: it\n---\nLa gita era bella.\n",
    "script_style_comment": "Prima del codice.\n\n<script>var a = 'non tradurre';</script>\n\n<style>p { color: red; }</style>\n\n<!-- un commento da non tradurre -->\n\nDopo il codice.\n",
    "entities_escapes": "Rossi &amp; Figli vendono \\*pane\\* a 3&nbsp;euro.\n",
    "liquid_hugo": "{% include header.html %}\n\nIl sito usa {{ site.title }} nel testo.\n\n{{< figure src=\"a.png\" >}}\n",
    "nested_emphasis": "Era *molto **ma molto** importante* per tutti.\n",
    "link_in_bold_in_list": "- Primo punto con **un [collegamento](https://example.org \"Titolo\") in grassetto** dentro.\n- Secondo punto.\n  Continua qui.\n",
    "whole_sentence_link": "[Leggi tutto l'articolo sul sito.](https://example.org/articolo)\n",
    "inline_code_heading": "## Il comando `it2en` per tradurre\n\nUsa `it2en translate` sempre.\n",
    "hard_breaks": "Prima riga con due spazi  \nseconda riga con barra\\\nterza riga<br>\nquarta riga.\n",
    "fences": "Testo prima.\n\n```python\nprint('ciao')\n```\n\n    codice indentato\n\nTesto dopo.",
    "quote_and_wrap": "> Una citazione lunga che va a capo\n> sulla seconda riga e finisce qui.\n\nUn paragrafo a capo\nsu due righe.\n",
    "reference_links": "Vedi [Erminio][1] e [il sito][] oppure [altro].\n\n[1]: http://example.org\n[il sito]: http://example.com \"Titolo\"\n[altro]: <http://example.net>\n",
    "autolink_image": "Scrivi a <mailto:a@b.it> o guarda ![una foto](foto.png \"Foto\") qui.\n\n[![alt](http://x.png)]()\n",
    "inline_html": "Una parola <span class=\"x\">evidenziata</span> e un <br> a capo.\n",
    "crlf_no_final_newline": "# Titolo\r\n\r\nUna frase. Un'altra frase.\r\nE ancora.",
    "setext": "Titolo grande\n=============\n\nTesto sotto.\n",
    "unterminated_front_matter": "---\ntitle: Mai chiuso\n\nIl testo.\n",
    "unterminated_fence": "Testo.\n\n```\ncodice senza fine\n",
    "strikethrough_nested_lists": "1. Uno ~~barrato~~ qui.\n   - Sotto *due*.\n     - Sotto tre.\n2. Due.\n",
}

HTML_CASES = {
    "page": ('<!DOCTYPE html>\n<html lang="it">\n<head>\n<meta charset="utf-8">\n<title>Il titolo della pagina</title>\n'
             '<meta name="description" content="Una descrizione della pagina.">\n'
             '<meta property="og:title" content="Titolo per i social">\n<style>p { color: red; }</style>\n'
             '<script>var testo = "non tradurre <p>";</script>\n</head>\n<body>\n<!-- commento -->\n'
             '<h1>Il <em>grande</em> titolo</h1>\n<p>Una frase con <a href="https://example.org" title="Il sito">un collegamento</a>.\n'
             'Seconda frase su un&rsquo;altra riga &amp; fine.</p>\n<pre>  codice   non toccato </pre>\n'
             '<img src="a.png" alt="Una foto del mare">\n<input placeholder="Scrivi qui">\n</body>\n</html>\n'),
    "fragment": '<p>Un <strong>frammento</strong> senza pagina.<br>Nuova riga.</p>\n<ul>\n  <li>Primo <b>punto</b></li>\n  <li>Secondo punto</li>\n</ul>\n',
    "table": "<table><tr><th>Nome</th><th>Prezzo</th></tr><tr><td>Il pane</td><td>3 euro</td></tr></table>",
    "broken": "<p>Un paragrafo <b>non chiuso\n<div>Una div <span>con <p>dentro</span></div>\n</i> parola vagante.\n",
    "entities": "<p>Perch&eacute; &#8220;citare&#8221; &lt;tag&gt; e&nbsp;spazi.</p>",
    "liquid": "<p>Il sito {{ site.title }} dice {% if x %}ciao{% endif %}.</p>",
}


class _Events(HTMLParser):
    """Tags, attributes, comments and raw-text contents, in order; text content left out."""

    TRANSLATED = {"alt", "title", "aria-label", "placeholder"}
    RAW = {"script", "style", "pre", "code", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list = []
        self.raw_depth = 0

    def handle_starttag(self, tag, attrs):
        meta = tag == "meta" and any(k in ("name", "property") for k, _ in attrs)
        kept = [(k, v) for k, v in attrs if k not in self.TRANSLATED and not (meta and k == "content")]
        kept = [(k, "en" if k == "lang" and v == "it" else v) for k, v in kept]
        self.events.append(("start", tag, tuple(kept)))
        if tag in self.RAW:
            self.raw_depth += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.events.append(("end", tag))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))
        if tag in self.RAW and self.raw_depth:
            self.raw_depth -= 1

    def handle_data(self, data):
        if self.raw_depth or self.cdata_elem:
            self.events.append(("raw", data))

    def handle_comment(self, data):
        self.events.append(("comment", data))

    def handle_decl(self, decl):
        self.events.append(("decl", decl))


INLINE = frozenset("a abbr b bdi bdo big cite data del dfn em font i ins kbd label mark nobr q s samp small "
                   "span strike strong sub sup time tt u var code br img wbr".split())


def html_tree(text: str) -> list:
    """The events in order; the inline tags between two block-level tags as a sorted multiset
    (a translation may reorder the words they wrap)."""
    parser = _Events()
    parser.feed(text)
    parser.close()
    result, inline = [], []
    for event in parser.events:
        if event[0] in ("start", "end") and event[1] in INLINE:
            inline.append(event)
        else:
            result.append(sorted(inline, key=repr))
            inline = []
            result.append(event)
    result.append(sorted(inline, key=repr))
    return [part for part in result if part != []]


def markdown_tree(text: str) -> list:
    """markdown-it-py's tokens without their text: block structure, levels, links, code, HTML."""
    from it2en.formats.markdown import _parser

    def shape(token):
        attrs = {k: v for k, v in (token.attrs or {}).items() if k not in ("alt", "title")}
        if token.type == "image":
            return ("image", attrs.get("src"))
        if token.type == "html_block":
            return ("html_block", html_tree(token.content))
        return (token.type, token.tag, token.markup if token.type != "text_special" else "", attrs,
                token.content if token.type in ("code_inline", "code_block", "fence", "html_inline") else "")

    result = []
    for token in _parser().parse(text):
        if token.type == "front_matter":
            continue
        if token.type == "inline":
            # a translation may reorder the words: the inline tokens compared as a multiset
            result.append(sorted((shape(c) for c in token.children or []
                                  if c.type not in ("text", "softbreak", "text_special")), key=repr))
        else:
            result.append(shape(token))
    return result


def shout(text: str) -> str:
    """A deterministic fake translation that changes every word and keeps every offset."""
    return text.upper()
