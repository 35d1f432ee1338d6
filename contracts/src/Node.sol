// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// The GPU nodes of the network: they stake CNX to join, and the Task contract picks the
/// three nodes of each task among the available ones, by VRAM or by GPU model.
contract Node is Ownable {
    using EnumerableSet for EnumerableSet.AddressSet;
    using EnumerableSet for EnumerableSet.UintSet;
    using EnumerableSet for EnumerableSet.Bytes32Set;

    uint256 public constant NODE_STATUS_QUIT = 0;
    uint256 public constant NODE_STATUS_AVAILABLE = 1;
    uint256 public constant NODE_STATUS_BUSY = 2;
    uint256 public constant NODE_STATUS_PENDING_PAUSE = 3;
    uint256 public constant NODE_STATUS_PENDING_QUIT = 4;
    uint256 public constant NODE_STATUS_PAUSED = 5;

    struct GPUInfo {
        string name;
        uint256 vram;
    }

    struct NodeInfo {
        uint256 status;
        bytes32 gpuID;
        GPUInfo gpu;
    }

    uint256 private constant STAKE = 400 * 10 ** 18;

    IERC20 private immutable token;
    address private taskContract;

    mapping(address => NodeInfo) private nodes;
    EnumerableSet.AddressSet private allNodes;
    EnumerableSet.AddressSet private available;
    // Available nodes by VRAM (GB) and by GPU id = keccak256(name, vram).
    EnumerableSet.UintSet private availableVrams;
    mapping(uint256 => EnumerableSet.AddressSet) private availableByVram;
    EnumerableSet.Bytes32Set private availableGpuIDs;
    mapping(bytes32 => EnumerableSet.AddressSet) private availableByGpuID;
    mapping(bytes32 => GPUInfo) private gpuInfos;

    modifier onlyTask() {
        require(msg.sender == taskContract, "Not called by the task contract");
        _;
    }

    constructor(IERC20 tokenInstance) {
        token = tokenInstance;
    }

    function updateTaskContractAddress(address taskContract_) public onlyOwner {
        taskContract = taskContract_;
    }

    /// Stakes 400 CNX (approve this contract first) and becomes available for tasks.
    function join(string calldata gpuName, uint256 gpuVram) public {
        require(nodes[msg.sender].status == NODE_STATUS_QUIT, "Node already joined");
        require(bytes(gpuName).length > 0, "Invalid GPU name");
        require(gpuVram > 0, "Invalid GPU vram");
        require(token.balanceOf(msg.sender) >= STAKE, "Not enough tokens to stake");
        require(token.allowance(msg.sender, address(this)) >= STAKE, "Not enough allowance to stake");
        require(token.transferFrom(msg.sender, address(this), STAKE), "Token transfer failed");

        bytes32 gpuID = keccak256(abi.encodePacked(gpuName, gpuVram));
        nodes[msg.sender] = NodeInfo(NODE_STATUS_AVAILABLE, gpuID, GPUInfo(gpuName, gpuVram));
        gpuInfos[gpuID] = GPUInfo(gpuName, gpuVram);
        allNodes.add(msg.sender);
        markAvailable(msg.sender);
    }

    /// Leaves the network and gets the stake back; a busy node leaves when its task ends.
    function quit() public {
        uint256 status = nodes[msg.sender].status;
        if (status == NODE_STATUS_AVAILABLE) {
            markUnavailable(msg.sender);
            leave(msg.sender);
        } else if (status == NODE_STATUS_PAUSED) {
            leave(msg.sender);
        } else if (status == NODE_STATUS_BUSY || status == NODE_STATUS_PENDING_PAUSE) {
            nodes[msg.sender].status = NODE_STATUS_PENDING_QUIT;
        } else {
            revert("Illegal node status");
        }
    }

    /// Stops taking tasks, keeping the stake; a busy node pauses when its task ends.
    function pause() public {
        uint256 status = nodes[msg.sender].status;
        if (status == NODE_STATUS_AVAILABLE) {
            markUnavailable(msg.sender);
            nodes[msg.sender].status = NODE_STATUS_PAUSED;
        } else if (status == NODE_STATUS_BUSY) {
            nodes[msg.sender].status = NODE_STATUS_PENDING_PAUSE;
        } else {
            revert("Illegal node status");
        }
    }

    function resume() public {
        uint256 status = nodes[msg.sender].status;
        if (status == NODE_STATUS_PAUSED) {
            markAvailable(msg.sender);
        } else if (status == NODE_STATUS_PENDING_PAUSE) {
            nodes[msg.sender].status = NODE_STATUS_BUSY;
        } else {
            revert("Illegal node status");
        }
    }

    /// The node got a task: it is no longer available.
    function startTask(address nodeAddress) public onlyTask {
        require(nodes[nodeAddress].status == NODE_STATUS_AVAILABLE, "Node is not available");
        markUnavailable(nodeAddress);
        nodes[nodeAddress].status = NODE_STATUS_BUSY;
    }

    /// The node's part of a task is over: it becomes available again, or pauses or quits as
    /// it asked while busy.
    function finishTask(address nodeAddress) public onlyTask {
        uint256 status = nodes[nodeAddress].status;
        if (status == NODE_STATUS_BUSY) {
            markAvailable(nodeAddress);
        } else if (status == NODE_STATUS_PENDING_PAUSE) {
            nodes[nodeAddress].status = NODE_STATUS_PAUSED;
        } else if (status == NODE_STATUS_PENDING_QUIT) {
            leave(nodeAddress);
        } else {
            revert("Illegal node status");
        }
    }

    /// The node cheated: it is removed and its stake goes to the owner.
    function slash(address nodeAddress) public onlyTask {
        uint256 status = nodes[nodeAddress].status;
        require(
            status == NODE_STATUS_BUSY || status == NODE_STATUS_PENDING_PAUSE || status == NODE_STATUS_PENDING_QUIT,
            "Illegal node status"
        );
        removeNode(nodeAddress);
        require(token.transfer(owner(), STAKE), "Token transfer failed");
    }

    function getNodeStatus(address nodeAddress) public view returns (uint256) {
        return nodes[nodeAddress].status;
    }

    function getNodeInfo(address nodeAddress) public view returns (NodeInfo memory) {
        return nodes[nodeAddress];
    }

    function totalNodes() public view returns (uint256) {
        return allNodes.length();
    }

    function availableNodes() public view returns (uint256) {
        return available.length();
    }

    function getAllNodeAddresses() public view returns (address[] memory) {
        return allNodes.values();
    }

    function getAvailableNodes() public view returns (address[] memory) {
        return available.values();
    }

    function getAvailableGPUs() public view returns (GPUInfo[] memory gpus) {
        gpus = new GPUInfo[](availableGpuIDs.length());
        for (uint256 i = 0; i < gpus.length; i++) {
            gpus[i] = gpuInfos[availableGpuIDs.at(i)];
        }
    }

    /// VRAM sizes ≥ `vramLimit` with at least `countLimit` available nodes, and their counts.
    function filterGPUVram(uint256 vramLimit, uint256 countLimit)
        public
        view
        returns (uint256[] memory vrams, uint256[] memory counts)
    {
        uint256 n = availableVrams.length();
        vrams = new uint256[](n);
        counts = new uint256[](n);
        uint256 found = 0;
        for (uint256 i = 0; i < n; i++) {
            uint256 vram = availableVrams.at(i);
            uint256 count = availableByVram[vram].length();
            if (vram >= vramLimit && count >= countLimit) {
                vrams[found] = vram;
                counts[found] = count;
                found++;
            }
        }
        assembly {
            mstore(vrams, found)
            mstore(counts, found)
        }
    }

    /// GPU models with VRAM ≥ `vramLimit` and at least `countLimit` available nodes.
    function filterGPUID(uint256 vramLimit, uint256 countLimit)
        public
        view
        returns (bytes32[] memory gpuIDs, uint256[] memory counts)
    {
        uint256 n = availableGpuIDs.length();
        gpuIDs = new bytes32[](n);
        counts = new uint256[](n);
        uint256 found = 0;
        for (uint256 i = 0; i < n; i++) {
            bytes32 gpuID = availableGpuIDs.at(i);
            uint256 count = availableByGpuID[gpuID].length();
            if (gpuInfos[gpuID].vram >= vramLimit && count >= countLimit) {
                gpuIDs[found] = gpuID;
                counts[found] = count;
                found++;
            }
        }
        assembly {
            mstore(gpuIDs, found)
            mstore(counts, found)
        }
    }

    function selectNodeByGPUVram(uint256 vram, uint256 index) public view returns (address) {
        return availableByVram[vram].at(index);
    }

    function selectNodeByGPUID(bytes32 gpuID, uint256 index) public view returns (address) {
        return availableByGpuID[gpuID].at(index);
    }

    function selectNode(uint256 index) public view returns (address) {
        return available.at(index);
    }

    function markAvailable(address nodeAddress) private {
        NodeInfo storage info = nodes[nodeAddress];
        info.status = NODE_STATUS_AVAILABLE;
        available.add(nodeAddress);
        availableVrams.add(info.gpu.vram);
        availableByVram[info.gpu.vram].add(nodeAddress);
        availableGpuIDs.add(info.gpuID);
        availableByGpuID[info.gpuID].add(nodeAddress);
    }

    function markUnavailable(address nodeAddress) private {
        NodeInfo storage info = nodes[nodeAddress];
        available.remove(nodeAddress);
        availableByVram[info.gpu.vram].remove(nodeAddress);
        if (availableByVram[info.gpu.vram].length() == 0) {
            availableVrams.remove(info.gpu.vram);
        }
        availableByGpuID[info.gpuID].remove(nodeAddress);
        if (availableByGpuID[info.gpuID].length() == 0) {
            availableGpuIDs.remove(info.gpuID);
        }
    }

    /// Removes the node and returns its stake.
    function leave(address nodeAddress) private {
        removeNode(nodeAddress);
        require(token.transfer(nodeAddress, STAKE), "Token transfer failed");
    }

    function removeNode(address nodeAddress) private {
        delete nodes[nodeAddress];
        allNodes.remove(nodeAddress);
    }
}
