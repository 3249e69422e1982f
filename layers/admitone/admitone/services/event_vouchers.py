"""Vouchers of an event: discount and access codes (owners)."""

from __future__ import annotations

from dataclasses import replace

from admitone.adapters.dynamo import catalog
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Voucher, check_voucher, normalize_voucher_code
from admitone.services.catalog_access import owned_event


def create_voucher(caller: Principal, voucher: Voucher) -> Voucher:
    partition = owned_event(voucher.event_id, caller)
    voucher = replace(voucher, code=normalize_voucher_code(voucher.code))
    check_voucher(voucher, set(partition.ticket_types))
    catalog.create_voucher(voucher)
    return voucher


def list_vouchers(event_id: str, caller: Principal) -> list[Voucher]:
    return sorted(owned_event(event_id, caller).vouchers, key=lambda v: v.code)
