// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "./Node.sol";
import "./TaskEvents.sol";

/// Tasks of the network, ABI-compatible with the Crynux contracts of the four-argument
/// `createTask` era: the creator pays `taskFeePerNode × 3`, three nodes are selected, each
/// commits to its result then discloses it, and two agreeing results make the task a success.
contract Task is Ownable, TaskEvents {
    uint256 private constant TASK_TYPE_SD = 0;
    uint256 private constant TASK_TYPE_LLM = 1;
    uint256 private constant ROUNDS = 3;

    struct TaskInfo {
        uint256 id;
        uint256 taskType;
        address creator;
        bytes32 taskHash;
        bytes32 dataHash;
        uint256 vramLimit;
        bool isSuccess;
        address[] selectedNodes;
        bytes32[] commitments;
        bytes32[] nonces;
        bytes[] results;
        uint256[] resultDisclosedRounds;
        address resultNode;
        bool aborted;
        uint256 timeout;
        uint256 balance;
    }

    // What each round has done, kept beside TaskInfo so that getTask keeps the era's ABI.
    enum RoundState {
        Pending,
        Committed,
        ErrorReported,
        Disclosed
    }

    struct Progress {
        RoundState[ROUNDS] states;
        // Paid, slashed or released: the node is done with the task.
        bool[ROUNDS] settled;
        bool commitmentsReady;
        uint256 resultRound;
    }

    Node private immutable node;
    IERC20 private immutable token;

    uint256 private taskFeePerNode = 10 * 10 ** 18;
    uint256 private distanceThreshold = 5;
    uint256 private timeout = 15 minutes;

    uint256 private nextTaskId = 1;
    uint256 private numSuccessTasks;
    uint256 private numAbortedTasks;
    mapping(uint256 => TaskInfo) private tasks;
    mapping(uint256 => Progress) private progress;
    mapping(address => uint256) private nodeTasks;

    constructor(Node nodeInstance, IERC20 tokenInstance) {
        node = nodeInstance;
        token = tokenInstance;
    }

    function createTask(uint256 taskType, bytes32 taskHash, bytes32 dataHash, uint256 vramLimit) public {
        require(taskType == TASK_TYPE_SD || taskType == TASK_TYPE_LLM, "Invalid task type");
        uint256 fee = taskFeePerNode * ROUNDS;
        require(token.balanceOf(msg.sender) >= fee, "Not enough tokens for task");
        require(token.allowance(msg.sender, address(this)) >= fee, "Not enough allowance for task");
        require(token.transferFrom(msg.sender, address(this), fee), "Task fee payment failed");

        uint256 taskId = nextTaskId++;
        address[] memory selected = selectNodes(taskType, vramLimit, taskId);
        TaskInfo storage task = tasks[taskId];
        task.id = taskId;
        task.taskType = taskType;
        task.creator = msg.sender;
        task.taskHash = taskHash;
        task.dataHash = dataHash;
        task.vramLimit = vramLimit;
        task.selectedNodes = selected;
        task.timeout = block.timestamp + timeout;
        task.balance = fee;
        for (uint256 round = 0; round < ROUNDS; round++) {
            task.commitments.push();
            task.nonces.push();
            task.results.push();
            node.startTask(selected[round]);
            nodeTasks[selected[round]] = taskId;
            emit TaskCreated(taskId, taskType, msg.sender, selected[round], taskHash, dataHash, round);
        }
    }

    /// Commits to a result without showing it: commitment = keccak256(result ‖ nonce).
    function submitTaskResultCommitment(uint256 taskId, uint256 round, bytes32 commitment, bytes32 nonce) public {
        TaskInfo storage task = selectedTask(taskId, round);
        Progress storage p = progress[taskId];
        require(p.states[round] == RoundState.Pending, "Already submitted");
        for (uint256 r = 0; r < ROUNDS; r++) {
            require(p.states[r] != RoundState.Committed || task.nonces[r] != nonce, "Nonce already used");
        }
        task.commitments[round] = commitment;
        task.nonces[round] = nonce;
        p.states[round] = RoundState.Committed;
        checkCommitmentsReady(taskId);
    }

    /// Reveals the committed result; two agreeing results make the task a success.
    function discloseTaskResult(uint256 taskId, uint256 round, bytes calldata result) public {
        TaskInfo storage task = selectedTask(taskId, round);
        Progress storage p = progress[taskId];
        require(p.commitmentsReady, "Commitments not ready");
        require(p.states[round] == RoundState.Committed, "Result already disclosed");
        require(
            keccak256(abi.encodePacked(result, task.nonces[round])) == task.commitments[round],
            "Mismatch result and commitment"
        );
        task.results[round] = result;
        task.resultDisclosedRounds.push(round);
        p.states[round] = RoundState.Disclosed;

        if (task.isSuccess) {
            judge(task, round);
        } else {
            tryConsensus(task, round);
        }
        closeIfSettled(taskId);
    }

    /// The result node has uploaded the files to the relay: it is paid.
    function reportResultsUploaded(uint256 taskId, uint256 round) public {
        TaskInfo storage task = selectedTask(taskId, round);
        require(task.isSuccess, "Task is not successful");
        require(task.resultNode == msg.sender, "Not the result node");
        require(!progress[taskId].settled[round], "Results already reported");
        pay(task, round);
        closeIfSettled(taskId);
    }

    /// The node cannot run the task (bad arguments, missing model). Two reports abort it.
    function reportTaskError(uint256 taskId, uint256 round) public {
        TaskInfo storage task = selectedTask(taskId, round);
        Progress storage p = progress[taskId];
        require(p.states[round] == RoundState.Pending, "Already submitted");
        p.states[round] = RoundState.ErrorReported;
        uint256 errors = 0;
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (p.states[r] == RoundState.ErrorReported) errors++;
        }
        if (errors < 2) {
            checkCommitmentsReady(taskId);
            return;
        }
        // The reporters agree the task cannot run: they are paid, the third node is released
        // and its share refunded.
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (p.states[r] == RoundState.ErrorReported) {
                pay(task, r);
            } else {
                release(task, r, true);
            }
        }
        abort(task, "Task error reported");
    }

    /// After the deadline, the creator or a selected node ends the task; the unspent fee goes
    /// back to the creator.
    function cancelTask(uint256 taskId) public {
        TaskInfo storage task = existingTask(taskId);
        require(msg.sender == task.creator || isSelected(task, msg.sender), "Unauthorized to cancel task");
        // A deadline in minutes: seconds of validator drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        require(block.timestamp > task.timeout, "Task has not exceeded the deadline yet");
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (!progress[taskId].settled[r]) release(task, r, false);
        }
        abort(task, "Task Cancelled");
    }

    function updateTaskFeePerNode(uint256 fee) public onlyOwner {
        taskFeePerNode = fee;
    }

    function updateDistanceThreshold(uint256 threshold) public onlyOwner {
        distanceThreshold = threshold;
    }

    function updateTimeout(uint256 t) public onlyOwner {
        timeout = t;
    }

    /// A task in progress; finished tasks are deleted (follow the events instead).
    function getTask(uint256 taskId) public view returns (TaskInfo memory) {
        return tasks[taskId];
    }

    /// The task a node is working on, 0 for none.
    function getNodeTask(address nodeAddress) public view returns (uint256) {
        return nodeTasks[nodeAddress];
    }

    function totalTasks() public view returns (uint256) {
        return nextTaskId - 1;
    }

    function totalSuccessTasks() public view returns (uint256) {
        return numSuccessTasks;
    }

    function totalAbortedTasks() public view returns (uint256) {
        return numAbortedTasks;
    }

    /// Three distinct available nodes: LLM tasks on one GPU model (so that results are
    /// byte-identical), SD tasks on any nodes with enough VRAM.
    function selectNodes(uint256 taskType, uint256 vramLimit, uint256 taskId)
        private
        view
        returns (address[] memory selected)
    {
        address[] memory candidates;
        uint256 seed = uint256(keccak256(abi.encodePacked(block.prevrandao, block.timestamp, taskId)));
        if (taskType == TASK_TYPE_LLM) {
            (bytes32[] memory gpuIDs, uint256[] memory counts) = node.filterGPUID(vramLimit, 1);
            require(gpuIDs.length > 0, "No kind of gpu id meets condition");
            uint256 total = 0;
            for (uint256 i = 0; i < gpuIDs.length; i++) {
                if (counts[i] >= ROUNDS) total += counts[i];
            }
            require(total > 0, "No available nodes of such gpu id");
            // A model with enough nodes, weighted by its number of nodes.
            uint256 pick = seed % total;
            uint256 chosen = 0;
            for (; chosen < gpuIDs.length; chosen++) {
                if (counts[chosen] < ROUNDS) continue;
                if (pick < counts[chosen]) break;
                pick -= counts[chosen];
            }
            candidates = new address[](counts[chosen]);
            for (uint256 j = 0; j < candidates.length; j++) {
                candidates[j] = node.selectNodeByGPUID(gpuIDs[chosen], j);
            }
        } else if (vramLimit > 0) {
            (uint256[] memory vrams, uint256[] memory counts) = node.filterGPUVram(vramLimit, 1);
            require(vrams.length > 0, "No kind of gpu vram meets condition");
            uint256 total = 0;
            for (uint256 i = 0; i < vrams.length; i++) {
                total += counts[i];
            }
            require(total >= ROUNDS, "No available nodes of such vram");
            candidates = new address[](total);
            uint256 k = 0;
            for (uint256 i = 0; i < vrams.length; i++) {
                for (uint256 j = 0; j < counts[i]; j++) {
                    candidates[k++] = node.selectNodeByGPUVram(vrams[i], j);
                }
            }
        } else {
            uint256 total = node.availableNodes();
            require(total >= ROUNDS, "No available nodes");
            candidates = new address[](total);
            for (uint256 j = 0; j < total; j++) {
                candidates[j] = node.selectNode(j);
            }
        }
        // A partial Fisher-Yates shuffle: the first three are distinct.
        selected = new address[](ROUNDS);
        for (uint256 i = 0; i < ROUNDS; i++) {
            uint256 j = i + (uint256(keccak256(abi.encodePacked(seed, i))) % (candidates.length - i));
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
            selected[i] = candidates[i];
        }
    }

    /// Ready to disclose once no round is pending and at least two rounds committed.
    function checkCommitmentsReady(uint256 taskId) private {
        Progress storage p = progress[taskId];
        uint256 committed = 0;
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (p.states[r] == RoundState.Pending) return;
            if (p.states[r] == RoundState.Committed) committed++;
        }
        if (committed >= 2) {
            p.commitmentsReady = true;
            emit TaskResultCommitmentsReady(taskId);
        }
    }

    /// A new disclosure before success: does it agree with an earlier one?
    function tryConsensus(TaskInfo storage task, uint256 round) private {
        Progress storage p = progress[task.id];
        uint256 disclosed = task.resultDisclosedRounds.length;
        for (uint256 i = 0; i + 1 < disclosed; i++) {
            uint256 earlier = task.resultDisclosedRounds[i];
            if (!agree(task.taskType, task.results[earlier], task.results[round])) continue;
            task.isSuccess = true;
            task.resultNode = task.selectedNodes[earlier];
            p.resultRound = earlier;
            numSuccessTasks++;
            emit TaskSuccess(task.id, task.results[earlier], task.resultNode);
            pay(task, round);
            for (uint256 r = 0; r < ROUNDS; r++) {
                if (r == earlier || r == round) continue;
                if (p.states[r] == RoundState.Disclosed) judge(task, r);
                else if (p.states[r] == RoundState.ErrorReported) release(task, r, true);
            }
            return;
        }
        // Everyone who committed has disclosed and no two agree.
        uint256 committed = 0;
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (p.states[r] == RoundState.Committed) committed++;
        }
        if (committed == 0) {
            for (uint256 r = 0; r < ROUNDS; r++) {
                release(task, r, false);
            }
            abort(task, "Task result illegal");
        }
    }

    /// After success: a disclosure that agrees with the result is paid, one that does not is
    /// slashed and its share refunded to the creator.
    function judge(TaskInfo storage task, uint256 round) private {
        bytes storage accepted = task.results[progress[task.id].resultRound];
        if (agree(task.taskType, accepted, task.results[round])) {
            pay(task, round);
        } else {
            node.slash(task.selectedNodes[round]);
            settle(task, round, task.creator);
        }
    }

    /// GPT results must be identical; SD results agree when every image's 8-byte perceptual
    /// hash is within the Hamming distance threshold.
    function agree(uint256 taskType, bytes memory a, bytes memory b) private view returns (bool) {
        if (taskType == TASK_TYPE_LLM) return keccak256(a) == keccak256(b);
        if (a.length != b.length || a.length == 0 || a.length % 8 != 0) return false;
        for (uint256 start = 0; start < a.length; start += 8) {
            uint256 distance = 0;
            for (uint256 k = start; k < start + 8; k++) {
                uint8 x = uint8(a[k]) ^ uint8(b[k]);
                while (x != 0) {
                    distance += x & 1;
                    x >>= 1;
                }
            }
            if (distance >= distanceThreshold) return false;
        }
        return true;
    }

    /// Pays the node of `round` its share and frees it.
    function pay(TaskInfo storage task, uint256 round) private {
        node.finishTask(task.selectedNodes[round]);
        settle(task, round, task.selectedNodes[round]);
    }

    /// Frees the node of `round` unpaid; with `refund`, its share goes back to the creator now.
    function release(TaskInfo storage task, uint256 round, bool refund) private {
        node.finishTask(task.selectedNodes[round]);
        if (refund) {
            settle(task, round, task.creator);
        } else {
            progress[task.id].settled[round] = true;
            nodeTasks[task.selectedNodes[round]] = 0;
        }
    }

    /// Sends the share of `round` to `to` and marks the round done.
    function settle(TaskInfo storage task, uint256 round, address to) private {
        progress[task.id].settled[round] = true;
        nodeTasks[task.selectedNodes[round]] = 0;
        task.balance -= taskFeePerNode;
        require(token.transfer(to, taskFeePerNode), "Token transfer failed");
    }

    /// Ends the task without (further) results: what is left of the fee goes to the creator.
    function abort(TaskInfo storage task, string memory reason) private {
        uint256 taskId = task.id;
        if (!task.isSuccess) numAbortedTasks++;
        emit TaskAborted(taskId, reason);
        refundAndDelete(task);
    }

    /// A successful task is deleted once every node is settled.
    function closeIfSettled(uint256 taskId) private {
        TaskInfo storage task = tasks[taskId];
        if (task.id == 0) return;
        Progress storage p = progress[taskId];
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (!p.settled[r]) return;
        }
        refundAndDelete(task);
    }

    function refundAndDelete(TaskInfo storage task) private {
        uint256 rest = task.balance;
        address creator = task.creator;
        uint256 taskId = task.id;
        delete tasks[taskId];
        delete progress[taskId];
        if (rest > 0) require(token.transfer(creator, rest), "Token transfer failed");
    }

    function existingTask(uint256 taskId) private view returns (TaskInfo storage task) {
        task = tasks[taskId];
        require(task.id != 0, "Task not exist");
    }

    function selectedTask(uint256 taskId, uint256 round) private view returns (TaskInfo storage task) {
        task = existingTask(taskId);
        require(round < ROUNDS && task.selectedNodes[round] == msg.sender, "Not selected node");
    }

    function isSelected(TaskInfo storage task, address who) private view returns (bool) {
        for (uint256 r = 0; r < ROUNDS; r++) {
            if (task.selectedNodes[r] == who) return true;
        }
        return false;
    }
}
