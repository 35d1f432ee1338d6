// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "./Base.sol";

/// Joining, staking, pausing and quitting.
contract NodeTest is Base {
    address internal constant ACCOUNT = address(0x1000);

    function test_JoinStakesAndMakesTheNodeAvailable() public {
        joinNode(0, "RTX 4090", 24);
        assertEq(token.balanceOf(address(node)), STAKE, "stake held");
        assertEq(node.getNodeStatus(ACCOUNT), node.NODE_STATUS_AVAILABLE(), "available");
        Node.GPUInfo[] memory gpus = node.getAvailableGPUs();
        assertEq(gpus.length, 1, "one GPU model");
        assertEq(gpus[0].vram, 24, "vram");
        assertEq(node.totalNodes(), 1, "total");
        assertTrue(node.selectNode(0) == ACCOUNT, "selectable");
    }

    function test_JoinChecksStakeAndStatus() public {
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Not enough tokens to stake"));
        node.join("RTX 4090", 24);

        token.transfer(ACCOUNT, STAKE);
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Not enough allowance to stake"));
        node.join("RTX 4090", 24);

        vm.prank(ACCOUNT);
        token.approve(address(node), STAKE);
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Invalid GPU name"));
        node.join("", 24);
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Invalid GPU vram"));
        node.join("RTX 4090", 0);

        vm.prank(ACCOUNT);
        node.join("RTX 4090", 24);
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Node already joined"));
        node.join("RTX 4090", 24);
    }

    function test_QuitReturnsTheStake() public {
        joinNode(0, "RTX 4090", 24);
        vm.prank(ACCOUNT);
        node.quit();
        assertEq(token.balanceOf(ACCOUNT), STAKE, "stake back");
        assertEq(node.totalNodes(), 0, "gone");
        assertEq(node.availableNodes(), 0, "not available");
        assertEq(node.getAvailableGPUs().length, 0, "no GPU left");
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Illegal node status"));
        node.quit();
    }

    function test_PauseAndResume() public {
        joinNode(0, "RTX 4090", 24);
        vm.prank(ACCOUNT);
        node.pause();
        assertEq(node.getNodeStatus(ACCOUNT), node.NODE_STATUS_PAUSED(), "paused");
        assertEq(node.availableNodes(), 0, "not selectable while paused");
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Illegal node status"));
        node.pause();
        vm.prank(ACCOUNT);
        node.resume();
        assertEq(node.availableNodes(), 1, "selectable again");
        vm.prank(ACCOUNT);
        vm.expectRevert(bytes("Illegal node status"));
        node.resume();
    }

    function test_ABusyNodePausesOrQuitsWhenItsTaskEnds() public {
        joinNodes(3, "RTX 4090", 24);
        uint256 taskId = createTask(0, 0);
        address pauser = selected(taskId, 0);
        address quitter = selected(taskId, 1);
        vm.prank(pauser);
        node.pause();
        assertEq(node.getNodeStatus(pauser), node.NODE_STATUS_PENDING_PAUSE(), "pending pause");
        vm.prank(quitter);
        node.quit();
        assertEq(node.getNodeStatus(quitter), node.NODE_STATUS_PENDING_QUIT(), "pending quit");

        vm.warp(task.getTask(taskId).timeout + 1);
        vm.prank(CREATOR);
        task.cancelTask(taskId);
        assertEq(node.getNodeStatus(pauser), node.NODE_STATUS_PAUSED(), "paused after the task");
        assertEq(node.getNodeStatus(quitter), node.NODE_STATUS_QUIT(), "quit after the task");
        assertEq(token.balanceOf(quitter), STAKE, "quitter got the stake back");
        assertEq(node.availableNodes(), 1, "only the third node is available");
    }

    function test_FilterByVramAndGpuModel() public {
        joinNode(0, "RTX 3060", 12);
        joinNode(1, "RTX 4090", 24);
        joinNode(2, "RTX 4090", 24);
        (uint256[] memory vrams, uint256[] memory counts) = node.filterGPUVram(16, 1);
        assertEq(vrams.length, 1, "one class >= 16 GB");
        assertEq(vrams[0], 24, "24 GB");
        assertEq(counts[0], 2, "two nodes");
        (bytes32[] memory ids, uint256[] memory idCounts) = node.filterGPUID(0, 2);
        assertEq(ids.length, 1, "one model with two nodes");
        assertEq(idCounts[0], 2, "count");
        assertTrue(node.selectNodeByGPUID(ids[0], 1) != address(0), "selectable by id");
        assertTrue(node.selectNodeByGPUVram(12, 0) == address(0x1000), "selectable by vram");
        assertEq(node.getAllNodeAddresses().length, 3, "all");
        assertEq(node.getAvailableNodes().length, 3, "available");
    }
}
