"""The heat bench's arithmetic: item sizes as DynamoDB counts them, write units, the index
entries a write changes, key shapes, and the ceilings read from partition loads."""

from __future__ import annotations

import base64

import pytest

from scripts.bench.heat import (
    Charge,
    KeySchema,
    Operation,
    ceilings,
    generalise,
    item_charges,
    item_size,
    partition_loads,
    stripe_path,
    value_size,
    write_units,
)
from scripts.devstack.stack import ROOT
from scripts.devstack.template import Stack

SCHEMA = KeySchema("PK", "SK", {"GSI1": ("GSI1PK", "GSI1SK"), "GSI3": ("GSI3PK", "GSI3SK")})


def test_strings_count_their_utf8_bytes_and_numbers_two_significant_digits_a_byte():
    assert value_size({"S": "café"}) == 5
    assert value_size({"N": "12345"}) == 4
    assert value_size({"N": "-0.00120"}) == 2  # "12": leading and trailing zeros trimmed
    assert value_size({"B": base64.b64encode(b"\x00" * 10).decode()}) == 10
    assert value_size({"BOOL": True}) == 1


def test_lists_and_maps_cost_three_bytes_and_one_per_element_besides_their_contents():
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1


def test_an_item_is_its_attribute_names_plus_its_values():
    assert item_size({"PK": {"S": "EVENT#1"}, "n": {"N": "7"}}) == 2 + 7 + 1 + 2
    assert item_size(None) == 0


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_write_units_round_each_item_up_to_the_next_kilobyte(size: int, units: int):
    assert write_units(size) == units


@pytest.mark.parametrize(
    ("key", "shape"),
    [
        ("EVENT#evt_01JXQ7Z9", "EVENT#<id>"),
        ("HOLDS#active", "HOLDS#active"),
        ("COUNTER#ORDER_NUMBER", "COUNTER#ORDER_NUMBER"),
        ("INV#tty_01JX#03", "INV#<id>#<n>"),
        ("RATE#ip#127.0.0.1#9f86d081", "RATE#ip#<id>#<id>"),
    ],
)
def test_keys_generalise_to_their_shape(key: str, shape: str):
    assert generalise(key) == shape


def test_the_key_schema_is_read_from_the_template():
    stack = Stack.load(ROOT, ROOT / "template.yaml")
    (table,) = stack.resources_of_type("AWS::DynamoDB::Table").values()
    schema = KeySchema.from_table_properties(table["Properties"])
    assert (schema.hash_key, schema.range_key) == ("PK", "SK")
    assert schema.indexes["GSI3"] == ("GSI3PK", "GSI3SK")


def order(status: str, gsi3: str | None = "HOLDS#active") -> dict[str, dict[str, str]]:
    item = {"PK": {"S": "ORDER#1"}, "SK": {"S": "ORDER"}, "status": {"S": status}}
    if gsi3:
        item |= {"GSI3PK": {"S": gsi3}, "GSI3SK": {"S": "t#1"}}
    return item


def test_a_transaction_pays_its_table_write_twice_and_a_new_index_entry_once():
    new = order("pending")
    charges = item_charges(SCHEMA, None, new, transactional=True, key=new)
    assert charges == [Charge("table", "ORDER#1", 2), Charge("GSI3", "HOLDS#active", 1)]


def test_an_item_changed_in_place_rewrites_its_index_entry():
    charges = item_charges(
        SCHEMA, order("pending"), order("paying"), transactional=False, key=order("x")
    )
    assert charges == [Charge("table", "ORDER#1", 1), Charge("GSI3", "HOLDS#active", 1)]


def test_an_index_key_that_moves_deletes_the_old_entry_and_puts_the_new():
    charges = item_charges(
        SCHEMA,
        order("pending"),
        order("paid", gsi3="OUTBOX#pending"),
        transactional=False,
        key=order("x"),
    )
    assert charges[1:] == [Charge("GSI3", "HOLDS#active", 1), Charge("GSI3", "OUTBOX#pending", 1)]


def test_an_item_leaving_a_sparse_index_deletes_its_entry_and_a_failed_write_touches_none():
    leaving = item_charges(
        SCHEMA, order("pending"), order("paid", gsi3=None), transactional=False, key=order("x")
    )
    assert leaving[1:] == [Charge("GSI3", "HOLDS#active", 1)]
    failed = item_charges(
        SCHEMA, order("pending"), order("pending"), transactional=True, key=order("x")
    )
    assert failed == [Charge("table", "ORDER#1", 2)]


def test_the_larger_of_before_and_after_sets_the_units():
    big = order("pending") | {"blob": {"S": "x" * 1500}}
    charges = item_charges(SCHEMA, big, order("pending"), transactional=False, key=big)
    assert charges[0] == Charge("table", "ORDER#1", 2)


def operations(event: str, types: list[str], each: int) -> list[Operation]:
    return [Operation(frozenset({event}), t) for t in types for _ in range(each)]


def test_one_event_partition_written_in_each_holds_transaction_bounds_the_ceilings_at_500():
    ops = operations("evt_A", ["tty_1"], 100)
    charges = [Charge("table", "EVENT#evt_A", 2) for _ in ops]
    charges += [Charge("table", f"ORDER#ord_{n}", 2) for n in range(100)]
    result = ceilings(partition_loads(charges, ops))
    assert result["ticket type"][0] == pytest.approx(500)
    assert result["event"][0] == pytest.approx(500)
    assert result["platform"][0] == float("inf")  # one order's own partition bounds no one else


def test_shards_under_their_own_keys_divide_a_types_load_and_a_shared_counter_bounds_the_platform():
    ops = operations("evt_A", ["tty_1", "tty_2"], 80)
    charges = [Charge("table", f"INV#{op.ticket_type_id}#{n % 8}", 2) for n, op in enumerate(ops)]
    charges += [Charge("table", "COUNTER#ORDER_NUMBER", 1) for _ in ops]
    loads = partition_loads(charges, ops)
    assert {load.scope for load in loads} == {"type", "platform"}
    result = ceilings(loads)
    assert result["ticket type"][0] == pytest.approx(1000)  # the counter: 1 unit per order
    assert result["event"][0] == pytest.approx(1000)
    shard = next(load for load in loads if load.scope == "type")
    assert shard.units_per_op == pytest.approx(2 / 8)


def test_stripe_paths_hide_object_ids_but_keep_resource_names():
    assert stripe_path("/v1/payment_intents/pi_3AbcDEF123/confirm?x=1") == (
        "/v1/payment_intents/<id>/confirm"
    )


def test_a_gate_devices_own_keys_bound_that_device_not_the_event_or_platform():
    gates = [frozenset({f"dev_{g}", f"pseudo{g}"}) for g in range(8)]
    ops = [Operation(frozenset({"evt_A"}), "tty_1", device=gates[n % 8]) for n in range(80)]
    charges = [Charge("table", f"RATE#scan#device#pseudo{n % 8}", 1) for n in range(80)]
    charges += [Charge("table", f"DEVICE#dev_{g}", 1) for g in range(8)]
    charges += [Charge("GSI1", f"SCANLOG#evt_A#{n % 32:02d}", 1) for n in range(80)]
    loads = partition_loads(charges, ops)
    assert {load.scope for load in loads} == {"device", "event"}
    result = ceilings(loads)
    assert result["gate device"][0] == pytest.approx(1000)  # its counter: 1 unit a scan
    assert result["event"][0] == pytest.approx(1000 / (3 / 80))  # 3 scans on a shard of 32
    assert result["platform"][0] == float("inf")
