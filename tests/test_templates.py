"""Template tags of static-site posts (Liquid/Jinja, Hugo shortcodes) are never translated.

A fake engine that would mangle braces and translate every word checks that the model never
sees a tag, that every tag comes back byte for byte, and that a block made of tags only is kept.
"""

from __future__ import annotations

import re

import pytest

from it2en.fidelity import checks, placeholders

TAG = placeholders.TEMPLATE_TAG

JEKYLL = """---
layout: post
title: "La richiesta FOIA su {{ site.title }}"
description: "{{ page.excerpt }}"
---

Su <a href="{{site.baseurl}}/foia/">{{site.baseurl}}/foia/</a> la richiesta è stata pubblicata ieri.

{% include nota.html testo="Una nota" %}

Il modulo si trova [qui]({{ site.baseurl }}/modulo/) e la guida {% link guida.md %} spiega tutto.

{% comment %}Da rivedere prima della pubblicazione{% endcomment %}

{# una nota per la redazione #}

{%- if page.autore -%}Scritto da {{ page.autore | escape }}.{%- endif -%}
"""

HUGO = """+++
title = "Le foto del parco {{< param nome >}}"
+++

Ecco le foto del parco.

{{< figure src="/img/parco.jpg" title="Il parco" >}}

{{% notice info %}}Il parco è chiuso il lunedì{{% /notice %}}.

Leggi anche {{< ref "altro.md" >}} per i dettagli, e {{% siteparam "contatti" %}}.
"""

HTML = """<html><head><title>{{ page.title }}</title></head><body><article>
<h1>{{ page.title }}</h1>
<p>Su <a href="{{site.baseurl}}/foia/" title="{{ page.title }}">{{site.baseurl}}/foia/</a> la richiesta è stata pubblicata.</p>
<p>{% include nota.html %}</p>
<p><img src="{{ site.baseurl }}/img/a.jpg" alt="{{ page.alt }}"> Il parco {{< ref "a.md" >}} è aperto.</p>
</article></body></html>
"""

TEXT = """Le foto del parco {{ page.nome }}

Su {{site.baseurl}}/foia/ la richiesta è stata pubblicata ieri {# nota #}.

{% include nota.html %}
"""


class Mangler:
    """Translates "la richiesta" and "il parco", and rewrites every brace and percent sign as a
    model would: a tag that reached it could not come back intact."""

    name = "mangler"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        self.seen += sentences
        return [re.sub("(?i)il parco", "the park", re.sub("(?i)la richiesta", "the request", s))
                .replace("{", "( ").replace("}", " )").replace("%", " per cent") for s in sentences]


def tags(text: str) -> list[str]:
    return [m.group(0) for m in TAG.finditer(text)]


@pytest.mark.parametrize("text, fmt, name", [(JEKYLL, "markdown", "post.md"), (HUGO, "markdown", "post.md"),
                                             (HTML, "html", "page.html"), (TEXT, "text", "post.txt")],
                         ids=["jekyll", "hugo", "html", "text"])
def test_no_tag_reaches_the_model_and_every_tag_comes_back(engine_cli, tmp_path, text, fmt, name):
    (tmp_path / name).write_text(text, encoding="utf-8")
    engine = Mangler()
    result = engine_cli(engine, name, "--input-format", fmt, "-f", "text", "-q")  # the input's own format
    assert result.exit_code in (0, 3), result.stderr
    assert engine.seen and not any(c in s for s in engine.seen for c in "{}%")  # the model saw no tag
    assert "the request" in result.stdout or "the park" in result.stdout  # the prose around them was translated
    assert tags(result.stdout) == tags(text)  # each tag, in order, byte for byte


def test_attributes_front_matter_and_tag_only_blocks_are_kept_as_written(engine_cli, tmp_path):
    (tmp_path / "post.md").write_text(JEKYLL, encoding="utf-8")
    result = engine_cli(Mangler(), "post.md", "--translate-keys", "title,description", "-q")
    out = result.stdout
    assert '<a href="{{site.baseurl}}/foia/">{{site.baseurl}}/foia/</a> the request' in out
    assert 'title: "The request FOIA su {{ site.title }}"' in out or 'title: "the request FOIA su {{ site.title }}"' in out
    assert 'description: "{{ page.excerpt }}"' in out
    for block in ('{% include nota.html testo="Una nota" %}', "{% comment %}Da rivedere prima della pubblicazione{% endcomment %}",
                  "{# una nota per la redazione #}", "[qui]({{ site.baseurl }}/modulo/)"):
        assert f"\n{block}" in out or block in out, block


@pytest.mark.parametrize("text, spans", [
    ("Su {{site.baseurl}}/foia/ la richiesta.", ["{{site.baseurl}}/foia/"]),
    ("Vedi {% include nota.html %}, poi {{< figure src=\"a.jpg\" title=\"Una foto\" >}}.",
     ["{% include nota.html %}", '{{< figure src="a.jpg" title="Una foto" >}}']),
    ("{# commento #} Ciao {{ page.title }}, come va?", ["{# commento #}", "{{ page.title }}"]),
    ("Testo {{% notice info %}}avviso{{% /notice %}}.", ["{{% notice info %}}", "avviso{{% /notice %}}"]),
    ("{% comment %}Da rivedere. Poi si vede.{% endcomment %} Fine.", ["{% comment %}Da rivedere. Poi si vede.{% endcomment %}"]),
])
def test_template_tags_are_masked_whole(text, spans):
    protected = placeholders.protect(text)
    assert protected.originals == spans and set(protected.kinds) == {"template"}
    assert not any(c in protected.text for c in "{}%")
    assert placeholders.restore(protected.text, protected) == (text, [])


def test_a_piece_made_only_of_template_tags_is_not_translatable():
    assert not checks.is_translatable("{% include nota.html %}")
    assert not checks.is_translatable("{{< youtube id=\"abc\" title=\"Il video\" >}}")
    assert not checks.is_translatable("{% comment %}Da rivedere{% endcomment %} {# x #}")
    assert checks.is_translatable("{{ page.autore }} ha scritto")


def test_inspect_lists_the_template_tags_kept(tmp_path):
    from typer.testing import CliRunner

    from it2en.cli import app

    (tmp_path / "post.txt").write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(app, ["inspect", str(tmp_path / "post.txt")], catch_exceptions=False)
    assert result.exit_code == 0
    assert "template: {{site.baseurl}}/foia/" in result.stdout and "template: {# nota #}" in result.stdout
