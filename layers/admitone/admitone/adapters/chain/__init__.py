"""The EVM chain of the tickets' NFTs: the ticket contract's compiled artifact, its adapter."""
