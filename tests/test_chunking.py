import pytest

from index.chunking import Chunker, chunk_id
from index.documents import make_document


def test_offsets_exact_with_overlap_and_repeated_sentences() -> None:
    same = "Le même sentence revient. "
    repeated = same * 40 + "Une fin différente. " + same * 10
    document = make_document("rep.txt", repeated)
    chunks = Chunker(size=120, overlap=40).split(document)
    assert len(chunks) > 5
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 120
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end == len(repeated.rstrip())


def test_chunk_ids_are_stable_and_depend_on_place_and_text() -> None:
    document = make_document("a.txt", "Première phrase. Deuxième phrase.\n\nTroisième.")
    first = Chunker(size=30, overlap=5).split(document)
    again = Chunker(size=30, overlap=5).split(document)
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].id == chunk_id("a.txt", 0, first[0].end, first[0].text)
    assert chunk_id("a.txt", 0, 5, "abcde") != chunk_id("b.txt", 0, 5, "abcde")
    assert len({c.id for c in first}) == len(first)


def test_short_document_is_one_chunk() -> None:
    document = make_document("s.txt", "  Bonjour le monde.  \n")
    chunks = Chunker().split(document)
    assert [(c.start, c.end, c.text) for c in chunks] == [(2, 19, "Bonjour le monde.")]


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_settings_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        Chunker(size=size, overlap=overlap)
