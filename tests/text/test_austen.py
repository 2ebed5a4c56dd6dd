"""austen: Jane Austen's novels read from the R data base inside r-cran-janeaustenr (a .deb built here), split into
sentences and labelled by novel."""

import pytest

from duelo.data.errors import DataError
from duelo.tasks.text.packages import AUSTEN_FOLDER, AUSTEN_NOVELS, austen_sentences
from duelo.tasks.text.sources import named_sources
from tests.data.test_data_package_sources import write_deb
from tests.data.test_rdata import write_db

NOVEL = ["SENSE AND SENSIBILITY", "", "CHAPTER 1", "", "The family of Dashwood had long been", "settled in Sussex.",
         "Mr. Dashwood was _very_ fond of it! \"Was he?\" asked", "she.", "", "Yes."]


def test_sentences_join_lines_skip_headings_and_keep_titles():
    assert austen_sentences(NOVEL) == ["The family of Dashwood had long been settled in Sussex.",
                                       "Mr. Dashwood was very fond of it!", "\"Was he?\" asked she."]  # "Yes." is short


def test_austen_comes_from_the_package_labelled_by_novel(tmp_path, monkeypatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    index, database = write_db({name: NOVEL if k == 0 else ["", f"Novel number {k} ends here."]
                                for k, name in enumerate(AUSTEN_NOVELS)})
    deb = write_deb(tmp_path / "r-cran-janeaustenr_1.0.0-1_all.deb", {"./" + AUSTEN_FOLDER + "Rdata.rdx": index,
                                                                       "./" + AUSTEN_FOLDER + "Rdata.rdb": database})
    austen = named_sources().get("austen")
    assert "8 lines in 6 classes" in austen.fetch_from(deb, False)
    text = austen.loader()
    assert text.lines[3] == "Novel number 1 ends here." and text.labels == [0, 0, 0, 1, 2, 3, 4, 5]
    assert text.class_names == list(AUSTEN_NOVELS)
    index, database = write_db({"emma": ["x"]})
    broken = write_deb(tmp_path / "other.deb", {"./" + AUSTEN_FOLDER + "Rdata.rdx": index,
                                                "./" + AUSTEN_FOLDER + "Rdata.rdb": database})
    with pytest.raises(DataError, match="has no sensesensibility"):
        austen.fetch_from(broken, True)
