"""Converts a bilingual dictionary in dictd format (a `.index` file and its `.dict` or `.dict.dz`, as Debian's
`dict-freedict-*` packages install them) or in FreeDict's TEI XML into MUSE's text format, one `source target`
pair per line, which `--set back_translation.dictionary=FILE` reads.

Every single-word translation of every single-word headword is kept, in the dictionary's order (senses as
listed, nothing ranked or filtered); multi-word headwords and translations cannot be MUSE lines and are counted
and left out. Sense numbers, bracketed domain labels (`[eko]`), parenthesised glosses and `Note:` lines are not
translations and are dropped.

    apt-get install dict-freedict-eng-fra
    python data_scripts/convert_dictionary.py /usr/share/dictd/freedict-eng-fra.index en-fr.txt
    python data_scripts/convert_dictionary.py eng-fra.tei en-fr.txt --lowercase

Malformed input stops the conversion with one sentence on stderr and exit status 2, before anything is written.
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path

BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
NOT_TRANSLATIONS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|<[^>]*>|^\s*\d+\.\s*")
NOTE = re.compile(r"^\s*[A-Z][a-z]*:")  # "Note: run/ran/run", dictd's own "Maintainer:" lines
HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})


class MalformedDictionary(Exception):
    """Input the converter cannot read; the message is the one sentence the user sees."""


class Collected:
    """(source, target) pairs in first-seen order, and what could not be a MUSE line."""

    def __init__(self, lowercase: bool):
        self.lowercase = lowercase
        self.pairs: dict[tuple[str, str], None] = {}
        self.entries = 0
        self.multiword_headwords = 0
        self.multiword_translations = 0

    def add(self, headword: str, translations: list[str]) -> None:
        self.entries += 1
        headword = self._word(headword)
        if headword is None:
            self.multiword_headwords += 1
            return
        for translation in translations:
            target = self._word(translation)
            if target is None:
                self.multiword_translations += 1
            else:
                self.pairs.setdefault((headword, target), None)

    def _word(self, text: str) -> str | None:
        text = text.translate(HYPHENS).strip(" \t*\"'")
        text = text.lower() if self.lowercase else text
        return text if text and len(text.split()) == 1 and any(c.isalpha() for c in text) else None


def candidates(line: str) -> list[str]:
    """The translations a dictd definition line lists: comma- or semicolon-separated, labels removed."""
    if NOTE.match(line):
        return []
    return [part for part in re.split(r"[,;]", NOT_TRANSLATIONS.sub(" ", line)) if part.strip()]


def decode_number(text: str, where: str) -> int:
    value = 0
    for char in text:
        if char not in BASE64:
            raise MalformedDictionary(f"{where}: {text!r} is not a dictd base64 number")
        value = value * 64 + BASE64[char]
    return value


def dictd_files(path: Path) -> tuple[Path, Path]:
    """The `.index` and the `.dict.dz` (or `.dict`) of a dictd dictionary named by either file or their stem."""
    stem = str(path).removesuffix(".index").removesuffix(".dz").removesuffix(".dict")
    index = Path(stem + ".index")
    data = next((p for p in (Path(stem + ".dict.dz"), Path(stem + ".dict")) if p.is_file()), None)
    if not index.is_file() or data is None:
        raise MalformedDictionary(
            f"{path}: a dictd dictionary needs {index} and {stem}.dict.dz (or .dict) side by side"
        )
    return index, data


def read_dictd(path: Path, collected: Collected) -> None:
    index, data_path = dictd_files(path)
    try:
        data = gzip.decompress(data_path.read_bytes()) if data_path.suffix == ".dz" else data_path.read_bytes()
    except (OSError, EOFError, zlib.error):
        raise MalformedDictionary(
            f"{data_path} is not a dictzip/gzip file: re-download it or give the plain .dict"
        ) from None
    try:
        lines = index.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise MalformedDictionary(f"{index} is not UTF-8 text: is it a dictd .index file?") from None
    for number, line in enumerate(lines, 1):
        where = f"{index}:{number}"
        fields = line.split("\t")
        if len(fields) != 3:
            raise MalformedDictionary(f"{where}: expected 'headword<TAB>offset<TAB>length', got {line[:60]!r}")
        headword, offset, length = fields[0], decode_number(fields[1], where), decode_number(fields[2], where)
        if headword.startswith(("00database", "00-database-")):  # dictd's metadata entries
            continue
        if offset + length > len(data):
            raise MalformedDictionary(f"{where}: the entry for {headword!r} points past the end of {data_path}")
        try:
            body = data[offset:offset + length].decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise MalformedDictionary(f"{where}: the entry for {headword!r} is not UTF-8 text") from None
        if body and body[0].strip().startswith(headword):  # FreeDict repeats the headword, with pronunciation
            body = body[1:]
        collected.add(headword, [word for line in body for word in candidates(line)])


def read_tei(path: Path, collected: Collected) -> None:
    """FreeDict TEI: <entry><form><orth>..</orth></form><sense><cit type="trans"><quote>..</quote></cit>..., or the
    older <trans><tr>..</tr></trans>; examples (<cit type="example">) are not translations."""
    local = lambda tag: tag.rsplit("}", 1)[-1]  # noqa: E731  (TEI P5 files carry a namespace, older ones none)
    try:
        for _, element in ElementTree.iterparse(path):
            if local(element.tag) != "entry":
                continue
            orth = next((e.text for e in element.iter() if local(e.tag) == "orth" and e.text), None)
            if orth is None:
                raise MalformedDictionary(f"{path}: an <entry> has no <orth> headword")
            translations = []
            for node in element.iter():
                if local(node.tag) == "cit" and node.get("type") in ("trans", "translation"):
                    translations += [q.text for q in node if local(q.tag) == "quote" and q.text]
                elif local(node.tag) == "tr" and node.text:
                    translations.append(node.text)
            collected.add(orth, translations)
            element.clear()
    except ElementTree.ParseError as error:
        raise MalformedDictionary(f"{path} is not well-formed XML ({error})") from None


def convert(source: Path, output: Path, lowercase: bool = False) -> Collected:
    if not source.exists() and not Path(str(source) + ".index").exists():
        raise MalformedDictionary(f"{source} does not exist")
    collected = Collected(lowercase)
    is_tei = source.suffix in (".tei", ".xml")
    (read_tei if is_tei else read_dictd)(source, collected)
    if not collected.pairs:
        raise MalformedDictionary(f"{source} holds no single-word translation pairs: is it a bilingual dictionary?")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text("".join(f"{s} {t}\n" for s, t in collected.pairs), encoding="utf-8")
    partial.replace(output)  # whole or not at all
    return collected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a dictd .index (its .dict.dz beside it) or a FreeDict .tei file")
    parser.add_argument("output", type=Path, help="the MUSE dictionary to write ('source target' per line)")
    parser.add_argument("--lowercase", action="store_true", help="lower-case both sides (for lower-cased corpora)")
    args = parser.parse_args()
    try:
        collected = convert(args.source, args.output, args.lowercase)
    except MalformedDictionary as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sources = len({s for s, _ in collected.pairs})
    print(f"wrote {len(collected.pairs)} pairs for {sources} source words from {collected.entries} entries to "
          f"{args.output} (left out: {collected.multiword_headwords} multi-word headwords, "
          f"{collected.multiword_translations} multi-word translations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
