// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import "./Base.sol";

/// Every branch of a task's life, and the fee flow of each.
contract TaskLifecycleTest is Base {
    bytes internal constant SD_RESULT = hex"0102030405060708a1a2a3a4a5a6a7a8";
    // Within Hamming distance 4 of SD_RESULT in both images: agrees.
    bytes internal constant SD_CLOSE = hex"0102030405060708a1a2a3a4a5a6a7a7";
    // 8 bits off in the second image: does not agree.
    bytes internal constant SD_FAR = hex"0102030405060708a1a2a3a4a5a6a757";
    bytes internal constant SD_OTHER = hex"ffffffffffffffff0000000000000000";
    // Exactly 5 bits off in the second image: the default threshold 5 rejects it.
    bytes internal constant SD_EDGE = hex"0102030405060708a1a2a3a4a5a6a7b7";

    function setUp() public override {
        super.setUp();
        joinNodes(3, "NVIDIA GeForce RTX 4090", 24);
    }

    function commitAll(uint256 taskId, bytes memory r0, bytes memory r1, bytes memory r2) internal {
        commit(taskId, 0, r0);
        commit(taskId, 1, r1);
        commit(taskId, 2, r2);
    }

    function test_CreateTaskTakesTheFeeAndSelectsThreeDistinctNodes() public {
        uint256 before = token.balanceOf(CREATOR);
        createTask(0, 8);
        uint256 taskId = task.totalTasks();
        assertEq(taskId, 1, "task id");
        assertEq(before - token.balanceOf(CREATOR), 3 * FEE_PER_NODE, "fee taken");
        assertEq(token.balanceOf(address(task)), 3 * FEE_PER_NODE, "fee held");
        Task.TaskInfo memory info = task.getTask(taskId);
        assertTrue(info.selectedNodes.length == 3, "three nodes");
        assertTrue(info.selectedNodes[0] != info.selectedNodes[1], "distinct 0/1");
        assertTrue(info.selectedNodes[1] != info.selectedNodes[2], "distinct 1/2");
        assertTrue(info.selectedNodes[0] != info.selectedNodes[2], "distinct 0/2");
        for (uint256 r = 0; r < 3; r++) {
            assertEq(task.getNodeTask(info.selectedNodes[r]), taskId, "node task");
            assertEq(node.getNodeStatus(info.selectedNodes[r]), node.NODE_STATUS_BUSY(), "busy");
        }
        assertEq(info.balance, 3 * FEE_PER_NODE, "balance");
        assertEq(node.availableNodes(), 0, "no node left available");
    }

    function test_SuccessWithAllAgreeingPaysEveryNodeAndDeletesTheTask() public {
        uint256 taskId = createTask(0, 0);
        address n0 = selected(taskId, 0);
        address n1 = selected(taskId, 1);
        address n2 = selected(taskId, 2);
        commit(taskId, 0, SD_RESULT);
        commit(taskId, 1, SD_CLOSE);
        vm.expectEmit();
        emit TaskResultCommitmentsReady(taskId);
        commit(taskId, 2, SD_RESULT);

        disclose(taskId, 0, SD_RESULT);
        vm.expectEmit();
        emit TaskSuccess(taskId, SD_RESULT, n0);
        disclose(taskId, 1, SD_CLOSE);
        assertEq(token.balanceOf(n1), FEE_PER_NODE, "second discloser paid at disclosure");
        assertEq(token.balanceOf(n0), 0, "result node not paid before upload");
        disclose(taskId, 2, SD_RESULT);
        assertEq(token.balanceOf(n2), FEE_PER_NODE, "third discloser paid");

        vm.prank(n0);
        task.reportResultsUploaded(taskId, 0);
        assertEq(token.balanceOf(n0), FEE_PER_NODE, "result node paid after upload");
        assertEq(task.getTask(taskId).id, 0, "finished task deleted");
        assertEq(task.totalSuccessTasks(), 1, "success counted");
        assertEq(node.availableNodes(), 3, "nodes available again");
        assertEq(token.balanceOf(address(task)), 0, "nothing left in the contract");
    }

    function test_ThirdNodeCheatsIsSlashedAndCreatorGetsItsShare() public {
        uint256 taskId = createTask(0, 0);
        address cheater = selected(taskId, 2);
        commitAll(taskId, SD_RESULT, SD_RESULT, SD_OTHER);
        disclose(taskId, 0, SD_RESULT);
        disclose(taskId, 1, SD_RESULT);
        uint256 before = token.balanceOf(CREATOR);
        disclose(taskId, 2, SD_OTHER);
        assertEq(token.balanceOf(CREATOR) - before, FEE_PER_NODE, "creator refunded the cheater's share");
        assertEq(node.getNodeStatus(cheater), node.NODE_STATUS_QUIT(), "cheater removed");
        assertEq(node.totalNodes(), 2, "cheater slashed");
        assertEq(token.balanceOf(cheater), 0, "cheater unpaid, stake gone");
    }

    function test_FirstDiscloserCheatsAndTheOtherTwoAgree() public {
        uint256 taskId = createTask(0, 0);
        address cheater = selected(taskId, 0);
        address n1 = selected(taskId, 1);
        commitAll(taskId, SD_OTHER, SD_RESULT, SD_CLOSE);
        disclose(taskId, 0, SD_OTHER);
        disclose(taskId, 1, SD_RESULT);
        assertTrue(!task.getTask(taskId).isSuccess, "no success from disagreeing results");
        vm.expectEmit();
        emit TaskSuccess(taskId, SD_RESULT, n1);
        disclose(taskId, 2, SD_CLOSE);
        assertEq(node.getNodeStatus(cheater), node.NODE_STATUS_QUIT(), "first discloser slashed");
        assertTrue(task.getTask(taskId).resultNode == n1, "result node is the first agreeing discloser");
    }

    function test_AllThreeDifferAbortsWithAFullRefund() public {
        uint256 taskId = createTask(0, 0);
        uint256 before = token.balanceOf(CREATOR);
        commitAll(taskId, SD_RESULT, SD_FAR, SD_OTHER);
        disclose(taskId, 0, SD_RESULT);
        disclose(taskId, 1, SD_FAR);
        vm.expectEmit();
        emit TaskAborted(taskId, "Task result illegal");
        disclose(taskId, 2, SD_OTHER);
        assertEq(token.balanceOf(CREATOR) - before, 3 * FEE_PER_NODE, "full refund");
        assertEq(node.availableNodes(), 3, "nodes released, not slashed");
        assertEq(task.totalAbortedTasks(), 1, "abort counted");
        assertEq(task.getTask(taskId).id, 0, "deleted");
    }

    function test_SdResultsAgreeOnlyBelowTheDistanceThreshold() public {
        uint256 taskId = createTask(0, 0);
        commitAll(taskId, SD_RESULT, SD_EDGE, SD_CLOSE);
        disclose(taskId, 0, SD_RESULT);
        disclose(taskId, 1, SD_EDGE);
        assertTrue(!task.getTask(taskId).isSuccess, "distance 5 does not agree");
        disclose(taskId, 2, SD_CLOSE);
        assertTrue(task.getTask(taskId).isSuccess, "distance 4 agrees");
        assertTrue(task.getTask(taskId).resultNode == selected(taskId, 0), "with the first result");
    }

    function test_GptResultsMustBeIdentical() public {
        uint256 taskId = createTask(1, 0);
        bytes memory answer = abi.encodePacked(sha256("reply"));
        bytes memory other = abi.encodePacked(sha256("reply!"));
        commitAll(taskId, answer, other, answer);
        disclose(taskId, 0, answer);
        disclose(taskId, 1, other);
        assertTrue(!task.getTask(taskId).isSuccess, "one bit off is another result");
        disclose(taskId, 2, answer);
        assertTrue(task.getTask(taskId).isSuccess, "two identical results");
    }

    function test_TwoErrorReportsAbortAndPayTheReporters() public {
        uint256 taskId = createTask(0, 0);
        address r0 = selected(taskId, 0);
        address r1 = selected(taskId, 1);
        uint256 before = token.balanceOf(CREATOR);
        commit(taskId, 2, SD_RESULT);
        reportError(taskId, 0);
        vm.expectEmit();
        emit TaskAborted(taskId, "Task error reported");
        reportError(taskId, 1);
        assertEq(token.balanceOf(r0), FEE_PER_NODE, "reporter 0 paid");
        assertEq(token.balanceOf(r1), FEE_PER_NODE, "reporter 1 paid");
        assertEq(token.balanceOf(CREATOR) - before, FEE_PER_NODE, "third share refunded");
        assertEq(node.availableNodes(), 3, "all released");
    }

    function test_OneErrorReportAndTwoAgreeingResultsSucceed() public {
        uint256 taskId = createTask(0, 0);
        reportError(taskId, 0);
        commit(taskId, 1, SD_RESULT);
        vm.expectEmit();
        emit TaskResultCommitmentsReady(taskId);
        commit(taskId, 2, SD_RESULT);
        uint256 before = token.balanceOf(CREATOR);
        disclose(taskId, 1, SD_RESULT);
        disclose(taskId, 2, SD_RESULT);
        assertTrue(task.getTask(taskId).isSuccess, "success");
        assertEq(token.balanceOf(CREATOR) - before, FEE_PER_NODE, "reporter's share refunded");
    }

    function test_OneErrorReportAndTwoDifferentResultsAbort() public {
        uint256 taskId = createTask(0, 0);
        reportError(taskId, 2);
        commit(taskId, 0, SD_RESULT);
        commit(taskId, 1, SD_OTHER);
        disclose(taskId, 0, SD_RESULT);
        vm.expectEmit();
        emit TaskAborted(taskId, "Task result illegal");
        disclose(taskId, 1, SD_OTHER);
    }

    function test_CancelRevertsBeforeTheDeadlineAndRefundsAfterIt() public {
        uint256 taskId = createTask(0, 0);
        uint256 deadline = task.getTask(taskId).timeout;
        uint256 before = token.balanceOf(CREATOR);
        vm.warp(deadline);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("Task has not exceeded the deadline yet"));
        task.cancelTask(taskId);
        vm.prank(STRANGER);
        vm.expectRevert(bytes("Unauthorized to cancel task"));
        task.cancelTask(taskId);

        vm.warp(deadline + 1);
        vm.expectEmit();
        emit TaskAborted(taskId, "Task Cancelled");
        vm.prank(CREATOR);
        task.cancelTask(taskId);
        assertEq(token.balanceOf(CREATOR) - before, 3 * FEE_PER_NODE, "full refund");
        assertEq(node.availableNodes(), 3, "nodes freed");
    }

    function test_ANodeThatNeverUploadsLeavesItsShareToTheCancellingCreator() public {
        uint256 taskId = createTask(0, 0);
        commitAll(taskId, SD_RESULT, SD_RESULT, SD_RESULT);
        disclose(taskId, 0, SD_RESULT);
        disclose(taskId, 1, SD_RESULT);
        disclose(taskId, 2, SD_RESULT);
        uint256 before = token.balanceOf(CREATOR);
        vm.warp(task.getTask(taskId).timeout + 1);
        // A selected node may cancel too.
        vm.prank(selected(taskId, 1));
        task.cancelTask(taskId);
        assertEq(token.balanceOf(CREATOR) - before, FEE_PER_NODE, "result node's unspent share");
        assertEq(node.availableNodes(), 3, "result node freed");
    }

    function test_OwnerSettersChangeFeeThresholdAndTimeout() public {
        task.updateTaskFeePerNode(2 * CNX);
        task.updateTimeout(60);
        task.updateDistanceThreshold(1);
        uint256 before = token.balanceOf(CREATOR);
        uint256 taskId = createTask(0, 0);
        assertEq(before - token.balanceOf(CREATOR), 6 * CNX, "new fee");
        assertEq(task.getTask(taskId).timeout, block.timestamp + 60, "new timeout");
        commitAll(taskId, SD_RESULT, SD_CLOSE, SD_OTHER);
        disclose(taskId, 0, SD_RESULT);
        disclose(taskId, 1, SD_CLOSE);
        assertTrue(!task.getTask(taskId).isSuccess, "distance 1 no longer agrees under threshold 1");

        vm.startPrank(STRANGER);
        vm.expectRevert(bytes("Ownable: caller is not the owner"));
        task.updateTaskFeePerNode(1);
        vm.expectRevert(bytes("Ownable: caller is not the owner"));
        task.updateTimeout(1);
        vm.expectRevert(bytes("Ownable: caller is not the owner"));
        task.updateDistanceThreshold(1);
        vm.expectRevert(bytes("Ownable: caller is not the owner"));
        node.updateTaskContractAddress(STRANGER);
        vm.stopPrank();
    }

    function test_NodeFunctionsRefuseTheWrongCallerAndTheWrongOrder() public {
        uint256 taskId = createTask(0, 0);
        address n0 = selected(taskId, 0);

        vm.prank(STRANGER);
        vm.expectRevert(bytes("Not selected node"));
        task.submitTaskResultCommitment(taskId, 0, keccak256("c"), nonceOf(0));
        vm.prank(n0);
        vm.expectRevert(bytes("Not selected node"));
        task.submitTaskResultCommitment(taskId, 1, keccak256("c"), nonceOf(0));
        vm.prank(n0);
        vm.expectRevert(bytes("Not selected node"));
        task.submitTaskResultCommitment(taskId, 3, keccak256("c"), nonceOf(0));
        vm.prank(n0);
        vm.expectRevert(bytes("Task not exist"));
        task.submitTaskResultCommitment(99, 0, keccak256("c"), nonceOf(0));

        commit(taskId, 0, SD_RESULT);
        vm.prank(n0);
        vm.expectRevert(bytes("Already submitted"));
        task.submitTaskResultCommitment(taskId, 0, keccak256("c"), nonceOf(9));
        vm.prank(n0);
        vm.expectRevert(bytes("Already submitted"));
        task.reportTaskError(taskId, 0);
        vm.prank(selected(taskId, 1));
        vm.expectRevert(bytes("Nonce already used"));
        task.submitTaskResultCommitment(taskId, 1, keccak256("c"), nonceOf(0));

        vm.prank(n0);
        vm.expectRevert(bytes("Commitments not ready"));
        task.discloseTaskResult(taskId, 0, SD_RESULT);

        commit(taskId, 1, SD_RESULT);
        commit(taskId, 2, SD_RESULT);
        vm.prank(n0);
        vm.expectRevert(bytes("Mismatch result and commitment"));
        task.discloseTaskResult(taskId, 0, SD_OTHER);
        disclose(taskId, 0, SD_RESULT);
        vm.prank(n0);
        vm.expectRevert(bytes("Result already disclosed"));
        task.discloseTaskResult(taskId, 0, SD_RESULT);

        vm.prank(n0);
        vm.expectRevert(bytes("Task is not successful"));
        task.reportResultsUploaded(taskId, 0);
        disclose(taskId, 1, SD_RESULT);
        vm.prank(selected(taskId, 1));
        vm.expectRevert(bytes("Not the result node"));
        task.reportResultsUploaded(taskId, 1);
        vm.prank(n0);
        task.reportResultsUploaded(taskId, 0);
        vm.prank(n0);
        vm.expectRevert(bytes("Results already reported"));
        task.reportResultsUploaded(taskId, 0);

        vm.prank(STRANGER);
        vm.expectRevert(bytes("Task not exist"));
        task.cancelTask(42);
    }

    function test_OnlyTheTaskContractMovesNodes() public {
        vm.prank(address(0x1000));
        node.pause();
        vm.prank(address(task));
        vm.expectRevert(bytes("Node is not available"));
        node.startTask(address(0x1000));
        vm.startPrank(STRANGER);
        vm.expectRevert(bytes("Not called by the task contract"));
        node.startTask(address(0x1000));
        vm.expectRevert(bytes("Not called by the task contract"));
        node.finishTask(address(0x1000));
        vm.expectRevert(bytes("Not called by the task contract"));
        node.slash(address(0x1000));
        vm.stopPrank();
    }
}

/// createTask's own checks, and node selection by VRAM and GPU model.
contract TaskCreationTest is Base {
    function test_InvalidTaskType() public {
        joinNodes(3, "A100", 40);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("Invalid task type"));
        task.createTask(2, keccak256("args"), bytes32(0), 0);
    }

    function test_NotEnoughTokensComesBeforeAllowance() public {
        joinNodes(3, "A100", 40);
        vm.prank(STRANGER);
        vm.expectRevert(bytes("Not enough tokens for task"));
        task.createTask(0, keccak256("args"), bytes32(0), 0);
    }

    function test_NotEnoughAllowance() public {
        joinNodes(3, "A100", 40);
        vm.prank(CREATOR);
        token.approve(address(task), 29 * CNX);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("Not enough allowance for task"));
        task.createTask(0, keccak256("args"), bytes32(0), 0);
    }

    function test_NoAvailableNodes() public {
        joinNodes(2, "A100", 40);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("No available nodes"));
        task.createTask(0, keccak256("args"), bytes32(0), 0);
    }

    function test_SdSelectionByVram() public {
        joinNode(0, "RTX 3060", 12);
        joinNode(1, "RTX 4090", 24);
        joinNode(2, "RTX 4090", 24);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("No kind of gpu vram meets condition"));
        task.createTask(0, keccak256("args"), bytes32(0), 48);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("No available nodes of such vram"));
        task.createTask(0, keccak256("args"), bytes32(0), 16);
        // 12 GB and 24 GB nodes together satisfy a 10 GB limit.
        uint256 taskId = createTask(0, 10);
        assertEq(task.getTask(taskId).vramLimit, 10, "vram limit stored");
        assertEq(node.availableNodes(), 0, "all three selected");
    }

    function test_GptSelectionNeedsThreeNodesOfOneGpuModel() public {
        vm.prank(CREATOR);
        vm.expectRevert(bytes("No kind of gpu id meets condition"));
        task.createTask(1, keccak256("args"), bytes32(0), 0);

        joinNode(0, "RTX 4090", 24);
        joinNode(1, "RTX 4090", 24);
        joinNode(2, "RTX 3090", 24);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("No available nodes of such gpu id"));
        task.createTask(1, keccak256("args"), bytes32(0), 8);

        joinNode(3, "RTX 4090", 24);
        uint256 taskId = createTask(1, 8);
        Task.TaskInfo memory info = task.getTask(taskId);
        for (uint256 r = 0; r < 3; r++) {
            (, bytes32 gpuID,) = abiNodeInfo(info.selectedNodes[r]);
            assertTrue(gpuID == keccak256(abi.encodePacked("RTX 4090", uint256(24))), "same GPU model");
        }
        assertEq(node.availableNodes(), 1, "the 3090 stays");
    }

    function test_TokenTransfersThatReturnFalseAreRefused() public {
        RefusingToken refusing = new RefusingToken();
        Node otherNode = new Node(refusing);
        Task otherTask = new Task(otherNode, refusing);
        otherNode.updateTaskContractAddress(address(otherTask));
        refusing.transfer(CREATOR, 100 * CNX);
        vm.prank(CREATOR);
        refusing.approve(address(otherTask), 100 * CNX);
        address[3] memory nodes;
        for (uint256 i = 0; i < 3; i++) {
            nodes[i] = address(uint160(0x2000 + i));
            refusing.transfer(nodes[i], STAKE);
            vm.prank(nodes[i]);
            refusing.approve(address(otherNode), STAKE);
        }

        refusing.setRefuse(true);
        vm.prank(nodes[0]);
        vm.expectRevert(bytes("Token transfer failed"));
        otherNode.join("RTX 4090", 24);
        vm.prank(CREATOR);
        vm.expectRevert(bytes("Task fee payment failed"));
        otherTask.createTask(0, keccak256("args"), bytes32(0), 0);

        // With transfers working the task starts; paying a node then fails loudly.
        refusing.setRefuse(false);
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(nodes[i]);
            otherNode.join("RTX 4090", 24);
        }
        vm.prank(CREATOR);
        otherTask.createTask(0, keccak256("args"), bytes32(0), 0);
        address[] memory chosen = otherTask.getTask(1).selectedNodes;
        bytes memory result = hex"0102030405060708";
        for (uint256 r = 0; r < 3; r++) {
            vm.prank(chosen[r]);
            otherTask.submitTaskResultCommitment(1, r, keccak256(abi.encodePacked(result, nonceOf(r))), nonceOf(r));
        }
        vm.prank(chosen[0]);
        otherTask.discloseTaskResult(1, 0, result);
        refusing.setRefuse(true);
        vm.prank(chosen[1]);
        vm.expectRevert(bytes("Token transfer failed"));
        otherTask.discloseTaskResult(1, 1, result);
    }

    function abiNodeInfo(address account) internal view returns (uint256, bytes32, uint256) {
        Node.NodeInfo memory info = node.getNodeInfo(account);
        return (info.status, info.gpuID, info.gpu.vram);
    }
}

/// An ERC-20 that can be told to report failure (return false) instead of moving tokens.
contract RefusingToken is ERC20 {
    bool private refuse;

    constructor() ERC20("Refusing", "R") {
        _mint(msg.sender, 10_000 * 10 ** 18);
    }

    function setRefuse(bool refuse_) public {
        refuse = refuse_;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        return !refuse && super.transfer(to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        return !refuse && super.transferFrom(from, to, amount);
    }
}
