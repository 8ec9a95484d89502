"""Gate pairs and yards carry their names in Vietnamese (of record), Chinese and English."""

from __future__ import annotations

import importlib

from django.apps import apps

from gates.models import Gate, ReferenceRevision, Yard
from gates.reference import load_reference_data


def test_every_gate_pair_names_its_chinese_counterpart_in_both_languages(reference):
    for gate in Gate.objects.all():
        assert gate.counterpart_name_vi and gate.counterpart_name_zh, gate.code
    na_nua = Gate.objects.get(code="na-nua")
    assert (na_nua.counterpart_name_vi, na_nua.counterpart_name_zh) == ("Nà Hoa", "那花")


def test_every_yard_has_a_chinese_and_an_english_name(reference):
    for yard in Yard.objects.all():
        assert yard.name_vi and yard.name_zh and yard.name_en, yard.code
    assert Yard.objects.get(code="xuan-cuong").name_vi == "Bãi Xuân Cương"


def test_refreshing_the_reference_data_keeps_the_places_a_supervisor_set(reference):
    Yard.objects.filter(code="xuan-cuong").update(places=999, name_zh="")
    load_reference_data()
    yard = Yard.objects.get(code="xuan-cuong")
    assert yard.places == 999 and yard.name_zh == "春刚货场"


def test_an_existing_install_gets_the_missing_names_when_it_migrates(reference):
    Yard.objects.filter(code="bao-nguyen").update(name_zh="", name_en="")
    Yard.objects.filter(code="xuan-cuong").update(name_zh="Tên riêng của bãi")  # someone's own name is kept
    Gate.objects.filter(code__in=["na-hinh", "na-nua"]).update(counterpart_name_vi="", counterpart_name_zh="")
    before = ReferenceRevision.objects.get(pk=1).token
    importlib.import_module("gates.migrations.0003_yard_names_in_three_languages").translate_reference_yards(
        apps, None)
    importlib.import_module("gates.migrations.0004_counterparts_of_na_hinh_and_na_nua").name_the_counterparts(
        apps, None)
    assert Yard.objects.get(code="bao-nguyen").name_zh == "宝源货场"
    assert Yard.objects.get(code="bao-nguyen").name_en == "Bao Nguyen yard"
    assert Yard.objects.get(code="xuan-cuong").name_zh == "Tên riêng của bãi"
    assert Gate.objects.get(code="na-hinh").counterpart_name_zh == "叫隘"
    assert Gate.objects.get(code="na-nua").counterpart_name_zh == "那花"
    assert ReferenceRevision.objects.get(pk=1).token != before, "running servers re-read the gates' rules"
