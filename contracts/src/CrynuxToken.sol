// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// CNX: a plain 18-decimal ERC-20. The whole supply is minted to the deployer, who funds the
/// accounts of the local network.
contract CrynuxToken is ERC20 {
    constructor() ERC20("Crynux", "CNX") {
        _mint(msg.sender, 100_000_000 * 10 ** decimals());
    }
}
