"""What the API shows of tickets, registrations, venue staff, devices and scans."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel

from admitone.adapters.dynamo.scans import ScanEntry
from admitone.domain.gate_access import Device, DeviceStatus, RevocationReason, StaffMember
from admitone.domain.nft import AwaitedMint, TicketMint
from admitone.domain.tickets import Scan, Ticket
from admitone.http.nft_views import NftView
from admitone.services.checkin import Checkins, OfflineOutcome, ScanOutcome
from admitone.services.gate_access import DevicePage, DeviceState, PairedDevice, PairingCode
from admitone.services.registration import Registration


class ScanView(BaseModel):
    at: datetime
    gate: str | None
    device: str

    @classmethod
    def of(cls, scan: Scan | None) -> ScanView | None:
        return cls(at=scan.at, gate=scan.gate, device=scan.device_id) if scan else None


class TicketView(BaseModel):
    id: str
    code: str
    order_id: str
    event_id: str
    ticket_type_id: str
    status: str
    version: int
    attendee_name: str | None
    attendee_email: str | None
    scans: int
    first_scan: ScanView | None
    issued_at: datetime
    # The signed QR payload, for the ticket's holder only (it admits whoever shows it).
    qr_token: str | None = None
    # The ticket's NFT, shown where one ticket is read (GET /tickets/{id}).
    nft: NftView | None = None

    @classmethod
    def of(
        cls, ticket: Ticket, *, viewer_id: str, mint: TicketMint | AwaitedMint | None = None
    ) -> TicketView:
        return cls(
            id=ticket.id,
            code=ticket.code,
            order_id=ticket.order_id,
            event_id=ticket.event_id,
            ticket_type_id=ticket.ticket_type_id,
            status=ticket.status.value,
            version=ticket.version,
            attendee_name=ticket.attendee_name,
            attendee_email=ticket.attendee_email,
            scans=ticket.scans,
            first_scan=ScanView.of(ticket.first_scan),
            issued_at=ticket.issued_at,
            qr_token=ticket.token if viewer_id == ticket.holder_id else None,
            nft=NftView.of(mint),
        )


class TicketPageView(BaseModel):
    tickets: list[TicketView]
    next_cursor: str | None


class RegistrationTicketView(BaseModel):
    ticket_id: str
    code: str
    ticket_type_id: str
    attendee_name: str | None
    attendee_email: str | None


class RegistrationView(BaseModel):
    order_id: str
    order_number: str
    event_id: str
    event_title: str
    event_starts_at: datetime
    deadline: datetime
    open: bool
    tickets: list[RegistrationTicketView]

    @classmethod
    def of(cls, registration: Registration) -> RegistrationView:
        return cls(
            order_id=registration.order.id,
            order_number=registration.order.number,
            event_id=registration.event.id,
            event_title=registration.event.title,
            event_starts_at=registration.event.starts_at,
            deadline=registration.event.registration_deadline,
            open=registration.is_open,
            tickets=[
                RegistrationTicketView(
                    ticket_id=t.id,
                    code=t.code,
                    ticket_type_id=t.ticket_type_id,
                    attendee_name=t.attendee_name,
                    attendee_email=t.attendee_email,
                )
                for t in registration.tickets
            ],
        )


class StaffMemberView(BaseModel):
    venue_id: str
    user_id: str
    email: str
    role: str
    added_at: datetime

    @classmethod
    def of(cls, member: StaffMember) -> StaffMemberView:
        return cls(
            venue_id=member.venue_id,
            user_id=member.user_id,
            email=member.email,
            role=member.role.value,
            added_at=member.added_at,
        )


class PairingCodeView(BaseModel):
    code: str
    venue_id: str
    expires_at: datetime

    @classmethod
    def of(cls, pairing: PairingCode) -> PairingCodeView:
        return cls(code=pairing.code, venue_id=pairing.venue_id, expires_at=pairing.expires_at)


class DeviceView(BaseModel):
    device_id: str
    venue_id: str
    name: str
    paired_by: str
    paired_at: datetime
    renewed_at: datetime | None
    # Its token is refused from then on unless a supervisor renews it.
    expires_at: datetime
    status: DeviceStatus
    revoked_at: datetime | None
    revoked_reason: RevocationReason | None
    # Its last authenticated request (scan, upload or bundle sync), to the minute.
    last_seen_at: datetime | None

    @classmethod
    def of(cls, device: Device, status: DeviceStatus) -> DeviceView:
        return cls(
            device_id=device.id,
            venue_id=device.venue_id,
            name=device.name,
            paired_by=device.paired_by,
            paired_at=device.paired_at,
            renewed_at=device.renewed_at,
            expires_at=device.expires_at,
            status=status,
            revoked_at=device.revoked_at,
            revoked_reason=device.revoked_reason,
            last_seen_at=device.last_seen_at,
        )

    @classmethod
    def of_state(cls, state: DeviceState) -> DeviceView:
        return cls.of(state.device, state.status)


class DeviceListView(BaseModel):
    devices: list[DeviceView]
    next_cursor: str | None

    @classmethod
    def of(cls, page: DevicePage) -> DeviceListView:
        return cls(
            devices=[DeviceView.of_state(state) for state in page.devices],
            next_cursor=page.next_cursor,
        )


class PairedDeviceView(DeviceView):
    # Shown once: only its hash is kept.
    device_token: str

    @classmethod
    def paired(cls, paired: PairedDevice) -> PairedDeviceView:
        view = DeviceView.of(paired.device, DeviceStatus.ACTIVE)
        return cls(**view.model_dump(), device_token=paired.token)


class ScannedTicketView(BaseModel):
    code: str
    type: str | None
    attendee_name: str | None


class ScanResultView(BaseModel):
    result: str
    # Why a ``void`` answer: ``event_cancelled``, ``revoked`` or ``superseded``.
    void_reason: str | None
    ticket: ScannedTicketView | None
    scans_left: int | None
    first_scan: ScanView | None

    @classmethod
    def of(cls, outcome: ScanOutcome) -> ScanResultView:
        ticket = outcome.ticket
        return cls(
            result=outcome.result.value,
            void_reason=outcome.void_reason,
            ticket=ScannedTicketView(
                code=ticket.code,
                type=outcome.ticket_type.name if outcome.ticket_type else None,
                attendee_name=ticket.attendee_name,
            )
            if ticket
            else None,
            scans_left=outcome.scans_left,
            first_scan=ScanView.of(outcome.first_scan),
        )


class OfflineResultView(BaseModel):
    nonce: str
    status: str
    result: str | None
    void_reason: str | None
    scan: ScanView | None
    first_scan: ScanView | None

    @classmethod
    def of(cls, outcome: OfflineOutcome) -> OfflineResultView:
        return cls(
            nonce=outcome.nonce,
            status=outcome.status,
            result=outcome.result,
            void_reason=outcome.void_reason,
            scan=ScanView.of(outcome.scan),
            first_scan=ScanView.of(outcome.first_scan),
        )


class OfflineResultsView(BaseModel):
    results: list[OfflineResultView]


class ScanLogEntryView(BaseModel):
    scan_id: str
    result: str
    ticket_id: str | None
    code: str | None
    ticket_type_id: str | None
    gate: str | None
    device_id: str
    staff_id: str | None
    scanned_at: datetime
    offline: bool
    conflict_with: str | None

    @classmethod
    def of(cls, entry: ScanEntry) -> ScanLogEntryView:
        return cls(
            scan_id=entry.scan_id,
            result=entry.result,
            ticket_id=entry.ticket_id,
            code=entry.code,
            ticket_type_id=entry.ticket_type_id,
            gate=entry.gate,
            device_id=entry.device_id,
            staff_id=entry.staff_id,
            scanned_at=entry.scanned_at,
            offline=entry.offline,
            conflict_with=entry.conflict_with,
        )


class TypeCheckinsView(BaseModel):
    name: str | None
    admitted: int
    tickets_in: int


class CheckinsView(BaseModel):
    event_id: str
    admitted: int
    conflicts: int
    refused: int
    by_ticket_type: dict[str, TypeCheckinsView]
    by_gate: dict[str, int]
    log: list[ScanLogEntryView]
    next_cursor: str | None

    @classmethod
    def of(cls, checkins: Checkins) -> CheckinsView:
        return cls(
            event_id=checkins.event.id,
            admitted=checkins.admitted,
            conflicts=checkins.conflicts,
            refused=checkins.refused,
            by_ticket_type={
                type_id: TypeCheckinsView(**asdict(counts))
                for type_id, counts in checkins.by_ticket_type.items()
            },
            by_gate=checkins.by_gate,
            log=[ScanLogEntryView.of(e) for e in checkins.log],
            next_cursor=checkins.next_cursor,
        )
