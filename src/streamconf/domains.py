"""The host names each wiki answers on, so that `streamconf serve` can choose the wiki of a request
by its Host header as Wikimedia's front ends do.

A wiki whose id is its language tag followed by its family tag (`enwiki` with tags `en, wiki`,
`dewiktionary` with `de, wiktionary`) gets the desktop and mobile host names of that project
(`en.wikipedia.org`, `en.m.wikipedia.org`); the special wikis of the `wiki` family get their own
(`commons.wikimedia.org`, `www.wikidata.org`). The realm named `beta` is Wikimedia's beta cluster,
whose wikis answer under beta.wmcloud.org (`en.wikipedia.beta.wmcloud.org`,
`wikidata.beta.wmcloud.org`), so that one server can answer both realms by host. A realm's
`domains:` gives a wiki's host names explicitly, replacing the derived ones; other wikis have none.
"""

from __future__ import annotations

from .model import Realm

FAMILY_DOMAINS = {
    "wiki": "wikipedia.org",
    "wiktionary": "wiktionary.org",
    "wikibooks": "wikibooks.org",
    "wikinews": "wikinews.org",
    "wikiquote": "wikiquote.org",
    "wikisource": "wikisource.org",
    "wikiversity": "wikiversity.org",
    "wikivoyage": "wikivoyage.org",
    "wikimedia": "wikimedia.org",
}
# Wikis of the `wiki` family that are not a language's Wikipedia.
SPECIAL_HOSTS = {
    "commons": "commons.wikimedia.org",
    "meta": "meta.wikimedia.org",
    "species": "species.wikimedia.org",
    "wikidata": "www.wikidata.org",
    "mediawiki": "www.mediawiki.org",
    "wikifunctions": "www.wikifunctions.org",
    "foundation": "foundation.wikimedia.org",
    "incubator": "incubator.wikimedia.org",
    "login": "login.wikimedia.org",
    "outreach": "outreach.wikimedia.org",
    "office": "office.wikimedia.org",
    "board": "board.wikimedia.org",
    "collab": "collab.wikimedia.org",
    "checkuser": "checkuser.wikimedia.org",
    "steward": "steward.wikimedia.org",
    "exec": "exec.wikimedia.org",
}

# Realms whose wikis answer under another domain than production's: the `.org` of a production
# host name (without `www.`) becomes this.
REALM_DOMAINS = {"beta": "beta.wmcloud.org"}


def mobile_host(host: str) -> str:
    """en.wikipedia.org -> en.m.wikipedia.org; www.wikidata.org -> m.wikidata.org."""
    first, rest = host.split(".", 1)
    return f"m.{rest}" if first == "www" else f"{first}.m.{rest}"


def in_realm(host: str, realm: str) -> str:
    """en.wikipedia.org -> en.wikipedia.beta.wmcloud.org; www.wikidata.org ->
    wikidata.beta.wmcloud.org; production's host names as they are."""
    domain = REALM_DOMAINS.get(realm)
    if domain is None:
        return host
    return host.removeprefix("www.").removesuffix(".org") + "." + domain


def derived_hosts(wiki: str, tags: tuple[str, ...], realm: str = "production") -> list[str]:
    if len(tags) < 2:
        return []
    language, family = tags[-2], tags[-1]
    if wiki != f"{language}{family}" or family not in FAMILY_DOMAINS:
        return []
    if family == "wiki" and language in SPECIAL_HOSTS:
        host = SPECIAL_HOSTS[language]
    else:
        host = f"{language.replace('_', '-')}.{FAMILY_DOMAINS[family]}"
    return [in_realm(host, realm), in_realm(mobile_host(host), realm)]


def host_map(realm: Realm, wikis: list[str]) -> dict[str, str]:
    """host name -> wiki, for the given wikis of the realm, sorted by host."""
    hosts: dict[str, str] = {}
    for wiki in wikis:
        for host in derived_hosts(wiki, realm.wikis[wiki], realm.name):
            hosts.setdefault(host, wiki)
    explicit = {host: wiki for wiki in wikis for host in realm.domains.get(wiki, ())}
    hosts = {host: wiki for host, wiki in hosts.items() if wiki not in realm.domains}
    hosts.update(explicit)
    return dict(sorted(hosts.items()))
