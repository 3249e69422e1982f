# pragma version 0.4.3
# Polygon PoS executes Cancun's opcodes since its Napoli hard fork; code compiled for a
# newer target could hit an opcode the chain does not have and fail as "invalid opcode".
# pragma evm-version cancun
"""
@title AdmitOne tickets
@license MIT
@notice ERC-721 (EIP-721 with the metadata extension) for tickets, written from the
        standard. A ticket's token id is fixed by the ticket, so a token id is minted at
        most once ever: a mint that is sent twice, or after its token was burned, reverts.
        Holders' addresses are custodial: minters (the platform's mint worker) may move
        and burn any token, so that one funded key pays every transaction's gas.
"""

interface ERC721Receiver:
    def onERC721Received(
        operator: address, sender: address, token_id: uint256, data: Bytes[1024]
    ) -> bytes4: nonpayable


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    token_id: indexed(uint256)

event Approval:
    holder: indexed(address)
    approved: indexed(address)
    token_id: indexed(uint256)

event ApprovalForAll:
    holder: indexed(address)
    operator: indexed(address)
    approved: bool

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event MinterSet:
    minter: indexed(address)
    allowed: bool


# One transaction mints at most this many tokens (the chain's batch limit in RULES §17).
MAX_BATCH: public(constant(uint256)) = 100
# bytes4(keccak256("onERC721Received(address,address,uint256,bytes)"))
ERC721_RECEIVED: constant(bytes4) = 0x150b7a02
# ERC-165, ERC-721, ERC-721 metadata.
SUPPORTED_INTERFACES: constant(bytes4[3]) = [0x01ffc9a7, 0x80ac58cd, 0x5b5e139f]

name: public(String[64])
symbol: public(String[32])
base_uri: public(String[128])
owner: public(address)
is_minter: public(HashMap[address, bool])

token_holder: HashMap[uint256, address]
tokens_held: HashMap[address, uint256]
approved_for: HashMap[uint256, address]
operators: HashMap[address, HashMap[address, bool]]
# Burned token ids: never minted again, so that a late retry of a mint cannot revive one.
retired: HashMap[uint256, bool]


@deploy
def __init__(token_name: String[64], token_symbol: String[32], uri: String[128], minter: address):
    self.name = token_name
    self.symbol = token_symbol
    self.base_uri = uri
    self.owner = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)
    if minter != empty(address):
        self.is_minter[minter] = True
        log MinterSet(minter=minter, allowed=True)


@view
@external
def supportsInterface(interface_id: bytes4) -> bool:
    return interface_id in SUPPORTED_INTERFACES


@view
@external
def balanceOf(holder: address) -> uint256:
    assert holder != empty(address), "the zero address holds nothing"
    return self.tokens_held[holder]


@view
@external
def ownerOf(token_id: uint256) -> address:
    return self._holder(token_id)


@view
@external
def exists(token_id: uint256) -> bool:
    return self.token_holder[token_id] != empty(address)


@view
@external
def getApproved(token_id: uint256) -> address:
    self._holder(token_id)
    return self.approved_for[token_id]


@view
@external
def isApprovedForAll(holder: address, operator: address) -> bool:
    return self.operators[holder][operator]


@view
@external
def tokenURI(token_id: uint256) -> String[206]:
    self._holder(token_id)
    return concat(self.base_uri, uint2str(token_id))


@external
def approve(approved: address, token_id: uint256):
    holder: address = self._holder(token_id)
    assert approved != holder, "the holder approves itself"
    assert msg.sender == holder or self.operators[holder][msg.sender], "not the holder or its operator"
    self.approved_for[token_id] = approved
    log Approval(holder=holder, approved=approved, token_id=token_id)


@external
def setApprovalForAll(operator: address, approved: bool):
    assert operator != msg.sender, "the holder is its own operator"
    self.operators[msg.sender][operator] = approved
    log ApprovalForAll(holder=msg.sender, operator=operator, approved=approved)


@external
def transferFrom(sender: address, receiver: address, token_id: uint256):
    self._transfer(sender, receiver, token_id)


@external
def safeTransferFrom(
    sender: address, receiver: address, token_id: uint256, data: Bytes[1024] = b""
):
    self._transfer(sender, receiver, token_id)
    if receiver.is_contract:
        answer: bytes4 = extcall ERC721Receiver(receiver).onERC721Received(
            msg.sender, sender, token_id, data
        )
        assert answer == ERC721_RECEIVED, "the receiver does not take ERC-721 tokens"


@external
def mint(receiver: address, token_id: uint256):
    assert self.is_minter[msg.sender], "only a minter mints"
    self._mint(receiver, token_id)


@external
def mint_batch(
    receivers: DynArray[address, MAX_BATCH], token_ids: DynArray[uint256, MAX_BATCH]
):
    """
    @notice All or nothing: one token that cannot be minted reverts the whole batch.
    """
    assert self.is_minter[msg.sender], "only a minter mints"
    assert len(receivers) == len(token_ids), "one receiver per token"
    for i: uint256 in range(len(token_ids), bound=MAX_BATCH):
        self._mint(receivers[i], token_ids[i])


@external
def burn(token_id: uint256):
    holder: address = self._holder(token_id)
    assert self._may_move(msg.sender, holder, token_id), "not allowed to burn this token"
    self.approved_for[token_id] = empty(address)
    self.tokens_held[holder] -= 1
    self.token_holder[token_id] = empty(address)
    self.retired[token_id] = True
    log Transfer(sender=holder, receiver=empty(address), token_id=token_id)


@external
def set_minter(minter: address, allowed: bool):
    assert msg.sender == self.owner, "only the owner sets minters"
    self.is_minter[minter] = allowed
    log MinterSet(minter=minter, allowed=allowed)


@external
def transfer_ownership(new_owner: address):
    assert msg.sender == self.owner, "only the owner hands over ownership"
    assert new_owner != empty(address), "ownership to the zero address"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner


@external
def set_base_uri(uri: String[128]):
    assert msg.sender == self.owner, "only the owner sets the metadata address"
    self.base_uri = uri


@view
@internal
def _holder(token_id: uint256) -> address:
    holder: address = self.token_holder[token_id]
    assert holder != empty(address), "no such token"
    return holder


@view
@internal
def _may_move(spender: address, holder: address, token_id: uint256) -> bool:
    return (
        spender == holder
        or self.approved_for[token_id] == spender
        or self.operators[holder][spender]
        or self.is_minter[spender]
    )


@internal
def _transfer(sender: address, receiver: address, token_id: uint256):
    holder: address = self._holder(token_id)
    assert holder == sender, "the sender does not hold the token"
    assert receiver != empty(address), "transfer to the zero address (burn instead)"
    assert self._may_move(msg.sender, holder, token_id), "not allowed to move this token"
    # EIP-721: a Transfer also says the token's approval is cleared.
    self.approved_for[token_id] = empty(address)
    self.tokens_held[sender] -= 1
    self.tokens_held[receiver] += 1
    self.token_holder[token_id] = receiver
    log Transfer(sender=sender, receiver=receiver, token_id=token_id)


@internal
def _mint(receiver: address, token_id: uint256):
    assert receiver != empty(address), "mint to the zero address"
    assert self.token_holder[token_id] == empty(address), "token already minted"
    assert not self.retired[token_id], "token was burned"
    self.tokens_held[receiver] += 1
    self.token_holder[token_id] = receiver
    log Transfer(sender=empty(address), receiver=receiver, token_id=token_id)
