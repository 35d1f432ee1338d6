// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "../src/CrynuxToken.sol";
import "../src/Node.sol";
import "../src/Task.sol";
import "../src/TaskEvents.sol";

/// The forge cheatcodes the tests use (forge-std is a download; these are built into forge).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit() external;
}

/// A deployed network with funded nodes and a funded task creator, and helpers to play
/// the nodes' part.
abstract contract Base is TaskEvents {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant CNX = 10 ** 18;
    uint256 internal constant FEE_PER_NODE = 10 * CNX;
    uint256 internal constant STAKE = 400 * CNX;
    address internal constant CREATOR = address(0xC0FFEE);
    address internal constant STRANGER = address(0xBAD);

    CrynuxToken internal token;
    Node internal node;
    Task internal task;

    function setUp() public virtual {
        token = new CrynuxToken();
        node = new Node(token);
        task = new Task(node, token);
        node.updateTaskContractAddress(address(task));
        token.transfer(CREATOR, 1000 * CNX);
        vm.prank(CREATOR);
        token.approve(address(task), 1000 * CNX);
    }

    /// A node account numbered `n`, funded, approved and joined with the given GPU.
    function joinNode(uint256 n, string memory gpuName, uint256 vram) internal returns (address account) {
        account = address(uint160(0x1000 + n));
        token.transfer(account, STAKE);
        vm.startPrank(account);
        token.approve(address(node), STAKE);
        node.join(gpuName, vram);
        vm.stopPrank();
    }

    function joinNodes(uint256 count, string memory gpuName, uint256 vram) internal {
        for (uint256 i = 0; i < count; i++) {
            joinNode(i, gpuName, vram);
        }
    }

    function createTask(uint256 taskType, uint256 vramLimit) internal returns (uint256 taskId) {
        vm.prank(CREATOR);
        task.createTask(taskType, keccak256("args"), bytes32(0), vramLimit);
        taskId = task.totalTasks();
    }

    function selected(uint256 taskId, uint256 round) internal view returns (address) {
        return task.getTask(taskId).selectedNodes[round];
    }

    function nonceOf(uint256 round) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("nonce", round));
    }

    function commit(uint256 taskId, uint256 round, bytes memory result) internal {
        bytes32 nonce = nonceOf(round);
        vm.prank(selected(taskId, round));
        task.submitTaskResultCommitment(taskId, round, keccak256(abi.encodePacked(result, nonce)), nonce);
    }

    function disclose(uint256 taskId, uint256 round, bytes memory result) internal {
        vm.prank(selected(taskId, round));
        task.discloseTaskResult(taskId, round, result);
    }

    function reportError(uint256 taskId, uint256 round) internal {
        vm.prank(selected(taskId, round));
        task.reportTaskError(taskId, round);
    }

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) {
            revert(string(abi.encodePacked(what, ": expected ", toString(expected), ", got ", toString(actual))));
        }
    }

    function assertTrue(bool condition, string memory what) internal pure {
        require(condition, what);
    }

    function toString(uint256 value) internal pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory digits;
        for (; value > 0; value /= 10) {
            digits = abi.encodePacked(bytes1(uint8(48 + (value % 10))), digits);
        }
        return string(digits);
    }
}
