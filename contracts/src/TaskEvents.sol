// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

/// The events of the Task contract, declared once for the contract and its tests.
interface TaskEvents {
    event TaskCreated(
        uint256 taskId,
        uint256 taskType,
        address indexed creator,
        address indexed selectedNode,
        bytes32 taskHash,
        bytes32 dataHash,
        uint256 round
    );
    event TaskResultCommitmentsReady(uint256 taskId);
    event TaskSuccess(uint256 taskId, bytes result, address indexed resultNode);
    event TaskAborted(uint256 taskId, string reason);
}
